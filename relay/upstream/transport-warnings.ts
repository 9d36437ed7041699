import { isLoopbackHost } from '../../functions/domain/transport';

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
