import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LicensePayload } from '../../functions/domain/license';
import { issueLicense } from '../license/issue';

/** DEMO ONLY: the private half of the demo vendor key. Anyone can read it; production handlers set their own TANDEM_LICENSE_PUBLIC_KEY. */
export const DEMO_PRIVATE_KEY_FILE = join(dirname(fileURLToPath(import.meta.url)), 'DEMO-ONLY-license-signing-key.pem');
/** Terminals the demo licence grants on each server. */
export const DEMO_LICENSE_TERMINALS = 50;
const RENEW_BEFORE_DAYS = 30;
const VALID_DAYS = 365;

export interface DemoServer {
  url: string;
  adminToken: string;
}

interface ServerInfo {
  role: 'primary' | 'secondary';
  installationId: string;
  licensePublicKey: { demo: boolean };
}

async function call(server: DemoServer, method: string, path: string, body?: unknown) {
  const res = await fetch(new URL(path, server.url), {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${server.url}${path} answered ${res.status}: ${json?.detail ?? JSON.stringify(json)}`);
  return json;
}

/**
 * Installs a demo licence on the local system, signed with the demo key and
 * bound to the servers' installation ids: with one server, `none` and
 * 50 terminals; with a primary and a secondary, `full` with 50 redundant
 * terminal connections. Installed on the primary, from where synchronisation
 * carries it to the secondary; `everywhere` installs it on each server too (for
 * a pair without synchronisation). Does nothing when a demo licence for these
 * servers is installed and valid for another 30 days (`installed: false`).
 */
export async function installDemoLicense(
  servers: DemoServer | DemoServer[],
  options: { everywhere?: boolean; now?: Date } = {},
): Promise<{ installed: boolean; license: LicensePayload }> {
  const list = Array.isArray(servers) ? servers : [servers];
  const infos: ServerInfo[] = await Promise.all(list.map((s) => call(s, 'GET', '/api/v1/server')));
  for (const [i, info] of infos.entries())
    if (!info.licensePublicKey.demo)
      throw new Error(`${list[i].url} verifies licences with its own TANDEM_LICENSE_PUBLIC_KEY, not the demo key: a demo licence would be refused there.`);
  const primaryIndex = infos.findIndex((i) => i.role === 'primary');
  if (primaryIndex < 0) throw new Error('none of the servers is a primary (TANDEM_ROLE=primary)');
  const primary = infos[primaryIndex];
  const secondary = infos.find((i) => i.role === 'secondary');
  const now = options.now ?? new Date();

  const installed = await call(list[primaryIndex], 'GET', '/api/v1/license');
  const wanted = demoLicenseId(primary.installationId, secondary?.installationId);
  const current = installed.license as LicensePayload | null;
  const fresh =
    current?.licenseId === wanted &&
    installed.problem === null &&
    current.expiresAt !== null &&
    Date.parse(current.expiresAt) - now.getTime() > RENEW_BEFORE_DAYS * 86_400_000;
  if (fresh && !options.everywhere) return { installed: false, license: current! };

  const file = await issueLicense(
    {
      licenseId: wanted,
      customer: 'Tandem demo (not for production)',
      redundancy: secondary ? 'full' : 'none',
      primary: primary.installationId,
      secondary: secondary?.installationId,
      products: secondary
        ? [{ product: 'redundant-terminal-connection', quantity: DEMO_LICENSE_TERMINALS }]
        : [{ product: 'terminal-connection', quantity: DEMO_LICENSE_TERMINALS, appliesTo: 'primary' }],
      issuedAt: now,
      expiresAt: new Date(now.getTime() + VALID_DAYS * 86_400_000),
    },
    readFileSync(DEMO_PRIVATE_KEY_FILE, 'utf8'),
  );
  const targets = options.everywhere ? list : [list[primaryIndex]];
  for (const server of targets) await call(server, 'PUT', '/api/v1/license', file);
  return { installed: true, license: file.payload };
}

const demoLicenseId = (primary: string, secondary?: string) => `DEMO-${primary.slice(4)}${secondary ? `-${secondary.slice(4)}` : ''}`;
