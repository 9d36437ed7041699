/**
 * Pure: what the firmware reads from the command line iPXE booted it with. `tandem.config` lists
 * the relays' configuration URLs, the relay the firmware came from first (comma-separated; given
 * more than once, the lists are joined); `tandem.mac` the terminal.
 */
export function firmwareArgs(args: string[]): { configUrls: string[]; mac: string | null } {
  const configUrls: string[] = [];
  let mac: string | null = null;
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at < 0) continue;
    const [key, value] = [arg.slice(0, at), arg.slice(at + 1)];
    if (key === 'tandem.config') configUrls.push(...value.split(',').filter(Boolean));
    else if (key === 'tandem.mac') mac = value;
  }
  return { configUrls: [...new Set(configUrls)], mac };
}
