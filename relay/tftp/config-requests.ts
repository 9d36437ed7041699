/**
 * Whether a TFTP file name asks for a terminal's configuration, which the relay fetches from the
 * handlers (config/{mac}.json, relay/files/served-files.ts). Read the way files/safe-path.ts
 * reads names (backslashes for slashes, empty and `.` parts dropped), so that no spelling of it
 * slips past the rate limit; it may hold a few names that then turn out not to be served.
 */
export function isConfigRequest(filename: string): boolean {
  return filename.replace(/\\/g, '/').split('/').find((part) => part !== '' && part !== '.') === 'config';
}
