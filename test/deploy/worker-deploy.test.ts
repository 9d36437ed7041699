import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { workerSecrets } from '../../infra/deploy/worker-secrets';
import { repoRoot } from '../../infra/local/processes';
import { tempDir } from '../relay/support/files';

const run = promisify(execFile);
const offline = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' };
const strongToken = (seed: string) => `tdm_${seed}_${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, 32)}`;

/** The secrets file step of deploy-handler.yml, as CI runs it. */
async function secretsFile(env: Record<string, string>) {
  const file = join(tempDir('tandem-worker-secrets'), 'worker-secrets.json');
  const result = await run(process.execPath, ['--import', 'tsx', 'infra/deploy/worker-secrets.ts', file], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
  }).then(
    (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
    (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, output: failed.stdout + failed.stderr }),
  );
  return { file, ...result };
}

describe('deploying the handler Workers', { timeout: 180_000 }, () => {
  for (const server of ['primary', 'secondary']) {
    it(`bundles the ${server} environment offline, with its own vars and the secrets CI hands it`, async () => {
      const secrets = await secretsFile({ DATABASE_URL: `libsql://tandem-${server}.example.turso.io`, DATABASE_AUTH_TOKEN: 'db-token' });
      expect(secrets.code, secrets.output).toBe(0);
      const outdir = tempDir(`tandem-worker-${server}`);
      // deploy-handler.yml's command, with --dry-run and --outdir.
      const { stdout, stderr } = await run(
        join(repoRoot, 'node_modules/.bin/wrangler'),
        ['deploy', '--dry-run', '--outdir', outdir, '--env', server, '--secrets-file', secrets.file],
        { cwd: repoRoot, env: { ...process.env, ...offline } },
      );
      const output = stdout + stderr;
      expect(output).toContain(`env.TANDEM_SERVER_ID ("${server}")`);
      expect(output).toContain(`env.TANDEM_ROLE ("${server}")`);
      expect(output).toContain('env.DATABASE_URL ("(hidden)")');
      expect(output).not.toContain('turso.io');
      const bundle = readFileSync(join(outdir, 'worker.js'), 'utf8');
      expect(bundle.length).toBeGreaterThan(100_000);
      // The migrations travel inside the bundle: a Worker has no db/migrations folder to read.
      expect(bundle).toContain('CREATE TABLE `terminals`');
    });
  }

  it('writes the secrets that are set, readable by the runner alone', async () => {
    const admin = strongToken('admin');
    const secrets = await secretsFile({ DATABASE_URL: 'libsql://db.example', TANDEM_ADMIN_TOKEN: admin });
    expect(secrets.code, secrets.output).toBe(0);
    expect(statSync(secrets.file).mode & 0o777).toBe(0o600);
    // An unset secret is left out: one put earlier with `wrangler secret put` stays.
    expect(JSON.parse(readFileSync(secrets.file, 'utf8'))).toEqual({ DATABASE_URL: 'libsql://db.example', TANDEM_ADMIN_TOKEN: admin });
    expect(secrets.output).not.toContain(admin);
  });

  it('stops before deploying a Worker that could not start: no database it can open, a weak token', async () => {
    const noDatabase = await secretsFile({});
    expect(noDatabase.code).not.toBe(0);
    expect(noDatabase.output).toContain('DATABASE_URL must be set');
    expect(() => workerSecrets({ DATABASE_URL: 'file:./data/primary.db' })).toThrow(/libsql:\/\//);
    expect(() => workerSecrets({ DATABASE_URL: 'libsql://db.example', TANDEM_PEER_TOKEN: 'peer-token-too-short' })).toThrow(/TANDEM_PEER_TOKEN is too weak/);
    expect(() => workerSecrets({ DATABASE_URL: 'libsql://db.example', TANDEM_PEER_TOKEN: 'peer-token-too-short' })).not.toThrow(/peer-token-too-short/);
  });
});
