/**
 * `node --import tsx infra/deploy/worker-secrets.ts <file>`: the secrets a handler Worker is
 * deployed with (`wrangler deploy --secrets-file <file>`), taken from the environment CI runs
 * in, which holds the secrets of one GitHub environment (.github/workflows/deploy-handler.yml).
 * The database CI migrated is thus the one the Worker opens. A secret that is not set is left
 * out, so that one put earlier with `wrangler secret put` stays; a weak token or a database the
 * Worker cannot open stops the deployment here rather than leaving a Worker that does not start.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { secretWeakness } from '../../functions/domain/secret-strength';

export const workerSecretNames = ['DATABASE_URL', 'DATABASE_AUTH_TOKEN', 'TANDEM_ADMIN_TOKEN', 'TANDEM_PEER_TOKEN'] as const;
const tokens = new Set<string>(['TANDEM_ADMIN_TOKEN', 'TANDEM_PEER_TOKEN']);

/** The secrets that are set, checked as the Worker will check them; throws, naming the secret (never its value). */
export function workerSecrets(env: Record<string, string | undefined>): Record<string, string> {
  const url = env.DATABASE_URL;
  // Workers have no file system: a libSQL server over HTTP or WebSockets (db/client.ts, stack facts).
  if (!url || !/^(libsql|https|wss):\/\/[^/]/.test(url))
    throw new Error('DATABASE_URL must be set to the libsql:// (or https://) URL of this server\'s database');
  const secrets: Record<string, string> = {};
  for (const name of workerSecretNames) {
    const value = env[name];
    if (!value) continue;
    const weakness = tokens.has(name) ? secretWeakness(value) : null;
    if (weakness) throw new Error(`${name} is too weak: ${weakness}`);
    secrets[name] = value;
  }
  return secrets;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  try {
    if (!file) throw new Error('usage: worker-secrets.ts <file>');
    const secrets = workerSecrets(process.env);
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    chmodSync(file, 0o600);
    console.log(`wrote ${Object.keys(secrets).join(', ')} to ${file}`);
  } catch (error) {
    console.error(`worker secrets: ${(error as Error).message}`);
    process.exit(1);
  }
}
