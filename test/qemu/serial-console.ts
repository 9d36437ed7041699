/** What a machine printed on its serial console, as text: terminal control sequences and carriage returns removed. */
export function consoleText(raw: string): string {
  return raw
    .replace(/\x1b\[[0-9;?=]*[A-Za-z]/g, '')
    .replace(/\x1b[c()][0-9A-Za-z]?/g, '')
    .replace(/\r/g, '');
}

/** The console's last `count` non-blank lines (what a failure message shows). */
export function lastLines(raw: string, count = 40): string {
  return consoleText(raw)
    .split('\n')
    .filter((line) => line.trim())
    .slice(-count)
    .join('\n');
}

/** The first complete console line (its newline printed) that matches, or null. */
export function findLine(raw: string, pattern: RegExp): string | null {
  return consoleText(raw).split('\n').slice(0, -1).find((line) => pattern.test(line)) ?? null;
}
