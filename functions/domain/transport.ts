/**
 * Where tokens and configuration travel in the clear. Plain http is fine on this machine
 * (loopback) and nowhere else: a token sent over it can be read by anyone on the way.
 */

/** Whether a URL's host names this machine's loopback: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1' || /^::ffff:(127\.|7f)/.test(host);
}

/** Whether a request to `url` goes over plain http to another machine. */
export function isPlainHttpToAnotherMachine(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname);
}
