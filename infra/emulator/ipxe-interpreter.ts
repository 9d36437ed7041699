/**
 * An iPXE script run the way iPXE runs it (src/image/script.c, src/core/exec.c), pure: what it
 * fetches, boots and waits for goes through the host it is handed.
 *
 * - A line is split on white space into tokens; `||`, `&&` and `;` (tokens of their own) chain
 *   commands: the next one runs when the previous failed, succeeded, or always. A token that starts
 *   with `#` ends the line. A trailing backslash continues the line; a trailing CR is dropped.
 * - `${name}` (or `${name:type}`) is expanded in each token once the line is split, innermost first;
 *   an unset setting expands to nothing.
 * - `:label` starts a line; `goto label` continues the script at that line.
 * - A line whose status is failure ends the script with that failure; `exit [n]` ends it with n.
 * - `chain url args…` fetches an image and runs it: a script (`#!ipxe`) in place, anything else is
 *   booted with args as its command line and never returns.
 */
export type Image = { kind: 'script'; url: string; text: string } | { kind: 'binary'; url: string; handle: unknown };

export interface IpxeHost {
  /** Downloads an image; a failure is a message (iPXE prints it and the command fails). */
  fetch(url: string): Promise<{ ok: true; image: Image } | { ok: false; error: string }>;
  /** Boots a fetched binary image with its command line; a message when it did not boot. */
  boot(image: Image & { kind: 'binary' }, args: string[]): Promise<{ ok: true } | { ok: false; error: string }>;
  sleep(seconds: number): Promise<void>;
  echo(text: string): void;
}

export type ScriptOutcome =
  | { kind: 'booted'; url: string; args: string[] }
  | { kind: 'reboot' }
  | { kind: 'poweroff' }
  /** The script ran to its end or to `exit`: iPXE goes on to its next boot device. */
  | { kind: 'ended'; status: number }
  | { kind: 'failed'; error: string; line: string };

/** Scripts that chain scripts: a bound, because two relays could hand a terminal back and forth. */
const MAX_NESTED_SCRIPTS = 8;

export function isIpxeScript(text: string): boolean {
  return /^#!(?:ipxe|gpxe)\s/.test(text);
}

export interface ScriptLine {
  label: string | null;
  command: string;
}

/** The script's lines: continuations joined, CRs dropped, labels split off. */
export function scriptLines(text: string): ScriptLine[] {
  const lines: ScriptLine[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = pending + raw.replace(/\r$/, '');
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    pending = '';
    const trimmed = line.trimStart();
    const label = /^:(\S*)\s*(.*)$/.exec(trimmed);
    lines.push(label ? { label: label[1], command: label[2] } : { label: null, command: trimmed });
  }
  if (pending) lines.push({ label: null, command: pending.trimStart() });
  return lines;
}

/** `${name}` and `${name:type}` replaced by their values, innermost first (iPXE's expand_settings). */
export function expandSettings(token: string, settings: ReadonlyMap<string, string>): string {
  let text = token;
  for (let i = 0; i < 64; i++) {
    const start = text.lastIndexOf('${');
    if (start < 0) break;
    const end = text.indexOf('}', start);
    if (end < 0) break;
    const name = text.slice(start + 2, end).replace(/:[^:/]*$/, '');
    text = text.slice(0, start) + (settings.get(name) ?? '') + text.slice(end + 1);
  }
  return text;
}

type Control = { kind: 'goto'; label: string } | { kind: 'exit'; status: number } | Extract<ScriptOutcome, { kind: 'booted' | 'reboot' | 'poweroff' }>;
interface CommandResult {
  status: number;
  control?: Control;
}

const OK: CommandResult = { status: 0 };
const FAILED: CommandResult = { status: 1 };

/** Runs a script; settings are the terminal's (mac, ip, platform…) and what the script sets. */
export async function runIpxeScript(text: string, host: IpxeHost, settings: Map<string, string>, depth = 0): Promise<ScriptOutcome> {
  if (!isIpxeScript(text)) return { kind: 'failed', error: 'not an iPXE script (no #!ipxe line)', line: '' };
  const lines = scriptLines(text);
  let pc = 0;
  while (pc < lines.length) {
    const { command } = lines[pc];
    const result = await runLine(command, host, settings, depth);
    const control = result.control;
    if (control?.kind === 'goto') {
      const target = lines.findIndex((line) => line.label === control.label);
      pc = target; // found: runLine checked it
      continue;
    }
    if (control?.kind === 'exit') return { kind: 'ended', status: control.status };
    if (control) return control;
    if (result.status !== 0) return { kind: 'failed', error: `the line failed (status ${result.status})`, line: command };
    pc++;
  }
  return { kind: 'ended', status: 0 };

  async function runLine(line: string, host: IpxeHost, settings: Map<string, string>, depth: number): Promise<CommandResult> {
    const tokens = line.split(/\s+/).filter(Boolean);
    let result = OK;
    let run = true;
    let at = 0;
    while (at <= tokens.length) {
      let end = at;
      let next: ((status: number) => boolean) | null = null;
      for (; end < tokens.length; end++) {
        const token = tokens[end];
        if (token.startsWith('#')) break;
        if (token === '||') next = (status) => status !== 0;
        else if (token === '&&') next = (status) => status === 0;
        else if (token === ';') next = () => true;
        else continue;
        break;
      }
      if (run && end > at) {
        const argv = tokens.slice(at, end).map((token) => expandSettings(token, settings));
        result = await execute(argv, host, settings, depth);
        if (result.control) return result;
      }
      if (!next) break;
      run = next(result.status);
      at = end + 1;
    }
    return result;
  }

  async function execute(argv: string[], host: IpxeHost, settings: Map<string, string>, depth: number): Promise<CommandResult> {
    const [name, ...args] = argv;
    switch (name) {
      case 'set':
      case 'clear': {
        const [key, ...value] = args;
        if (!key) return FAILED;
        if (name === 'clear' || value.length === 0) settings.delete(key);
        else settings.set(key, value.join(' '));
        return OK;
      }
      case 'echo': {
        const noNewline = args[0] === '-n';
        host.echo((noNewline ? args.slice(1) : args).join(' '));
        return OK;
      }
      case 'sleep': {
        const seconds = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(seconds) || seconds < 0) return FAILED;
        await host.sleep(seconds);
        return OK;
      }
      case 'isset':
        return args.length === 1 && args[0] !== '' ? OK : FAILED;
      case 'iseq':
        return args.length === 2 && args[0] === args[1] ? OK : FAILED;
      case 'goto':
        if (args.length !== 1 || !lines.some((line) => line.label === args[0])) {
          host.echo(`No such label :${args[0] ?? ''}`);
          return FAILED;
        }
        return { status: 0, control: { kind: 'goto', label: args[0] } };
      case 'exit': {
        const status = args.length ? Number(args[0]) : 0;
        return Number.isInteger(status) ? { status, control: { kind: 'exit', status } } : FAILED;
      }
      case 'reboot':
        return { status: 0, control: { kind: 'reboot' } };
      case 'poweroff':
        return { status: 0, control: { kind: 'poweroff' } };
      case 'chain':
      case 'boot':
      case 'imgexec':
        return chain(options(args), host, settings, depth);
      // The link is up and configured by the time a script runs: these change nothing here.
      case 'dhcp':
      case 'ifopen':
      case 'ifconf':
      case 'ifstat':
      case 'route':
        return OK;
      default:
        // Includes prompt: nobody presses a key at an emulated terminal.
        host.echo(`${name}: command not found`);
        return FAILED;
    }
  }

  async function chain(positional: string[], host: IpxeHost, settings: Map<string, string>, depth: number): Promise<CommandResult> {
    const [url, ...args] = positional;
    if (!url) return FAILED;
    const fetched = await host.fetch(url);
    if (!fetched.ok) {
      host.echo(`Could not boot image: ${fetched.error}`);
      return FAILED;
    }
    const image = fetched.image;
    if (image.kind === 'script') {
      if (depth + 1 >= MAX_NESTED_SCRIPTS) {
        host.echo(`Could not boot image: scripts nested more than ${MAX_NESTED_SCRIPTS} deep`);
        return FAILED;
      }
      const outcome = await runIpxeScript(image.text, host, settings, depth + 1);
      if (outcome.kind === 'ended') return { status: outcome.status };
      if (outcome.kind === 'failed') return FAILED;
      return { status: 0, control: outcome };
    }
    const booted = await host.boot(image, args);
    if (!booted.ok) {
      host.echo(`Could not boot image: ${booted.error}`);
      return FAILED;
    }
    return { status: 0, control: { kind: 'booted', url, args } };
  }
}

/** A command's arguments without its options (--autofree, --replace, --timeout n, --name n and their short forms). */
function options(args: string[]): string[] {
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (positional.length === 0 && /^-(?:-timeout|t|-name|n)$/.test(arg)) i++;
    else if (positional.length === 0 && arg.startsWith('-') && arg.length > 1) continue;
    else positional.push(arg);
  }
  return positional;
}
