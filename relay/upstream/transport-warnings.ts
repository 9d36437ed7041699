import { isIP } from 'node:net';
import { addressSet } from '../settings';

const loopback = addressSet([
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
]);

/** Whether a URL's host name never leaves this machine (a loopback address, or localhost: RFC 6761). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(host);
  if (family) return loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * What is insecure in how the relay reaches its handlers, in sentences for /healthz and the start
 * log. Plain http off this machine carries the relay token, and boot documents (which name the
 * firmware and its sha256) that anyone on the path can read or change.
 */
export function transportWarnings(handlers: string[], token: string | undefined, certificatesVerified: boolean): string[] {
  const warnings: string[] = [];
  for (const url of handlers) {
    const { protocol, hostname } = new URL(url);
    if (protocol !== 'http:' || isLoopbackHost(hostname)) continue;
    const what = token ? 'the relay token and boot documents cross' : 'boot documents cross';
    warnings.push(`handler ${url} is plain http to an address off this host: ${what} the network readable and changeable; use https`);
  }
  if (!certificatesVerified) warnings.push('NODE_TLS_REJECT_UNAUTHORIZED=0: handler certificates are not verified');
  return warnings;
}
