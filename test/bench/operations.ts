/**
 * npm run bench:operations — the operator's commands on a plant of 10,000 terminals:
 * `tandem export` and `tandem import` (every record through the one write path, so the
 * importing server gets the history a real plant has), `tandem backup` of that database while
 * a relay keeps asking for a boot document (the longest boot it waited), and `tandem firmware
 * upload` of a 64 MiB image, against lib-storage's Upload straight to the same object store.
 */
import { Upload } from '@aws-sdk/lib-storage';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../infra/local/processes';
import { startFirmwareBucket } from '../relay/support/site';
import { apiClient, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { seedPlant } from './seed';

const run = promisify(execFile);
const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 10_000);
const MiB = 1024 * 1024;

const tandem = async (handler: HandlerProcess, args: string[]) => {
  const started = performance.now();
  const out = await run(process.execPath, ['infra/cli/tandem.mjs', ...args], {
    cwd: repoRoot,
    env: { ...process.env, TANDEM_URL: handler.url, TANDEM_TOKEN: handler.adminToken },
    maxBuffer: 256 * MiB,
  });
  return { ...out, seconds: (performance.now() - started) / 1000 };
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-operations-'));
  const store = await startFirmwareBucket();
  const handlers: HandlerProcess[] = [];
  try {
    console.log(`seeding ${TERMINALS} terminals in 100 groups …`);
    const sourceDir = join(dir, 'source');
    const seeded = await seedPlant(`file:${join(sourceDir, 'primary.db')}`, TERMINALS, 100);
    const source = await startHandler({ dataDir: sourceDir });
    handlers.push(source);
    const target = await startHandler({ dataDir: join(dir, 'target'), env: { S3_ENDPOINT: store.url, S3_BUCKET: store.bucket } });
    handlers.push(target);

    const doc = join(dir, 'plant.json');
    const exported = await tandem(source, ['export', doc]);
    const imported = await tandem(target, ['import', doc]);

    // A relay asks for one terminal's boot document in a loop while the backup is taken.
    const relay = apiClient(target.url, await createToken(apiClient(target.url, target.adminToken), 'relay', 'bench-relay'));
    let longestBootMs = 0;
    let boots = 0;
    let backingUp = true;
    const booting = (async () => {
      for (let i = 0; backingUp && i < 1_000_000; i++) {
        const t = performance.now();
        const res = await relay.get(`/api/v1/boot/terminals/${seeded.macs[0]}`);
        if (res.status !== 200) throw new Error(`boot during backup: ${res.status} ${JSON.stringify(res.body)}`);
        longestBootMs = Math.max(longestBootMs, performance.now() - t);
        boots++;
      }
    })();
    const backupFile = join(dir, 'backup.db');
    const backup = await tandem(target, ['backup', backupFile]);
    backingUp = false;
    await booting;

    const image = join(dir, 'image.img');
    const bytes = randomBytes(64 * MiB);
    writeFileSync(image, bytes);
    const upload = await tandem(target, ['firmware', 'upload', image, '--name', 'bench', '--version', '1']);
    const direct = performance.now();
    await new Upload({ client: store.s3, params: { Bucket: store.bucket, Key: 'bench/direct.img', Body: bytes }, partSize: 8 * MiB, queueSize: 4 }).done();
    const directSeconds = (performance.now() - direct) / 1000;

    const line = (what: string, value: string) => console.log(`${what.padEnd(58)} ${value}`);
    console.log(`\n${TERMINALS} terminals; each command timed as the operator runs it (CLI start included)`);
    line('tandem export (document size)', `${exported.seconds.toFixed(1)} s (${(statSync(doc).size / MiB).toFixed(1)} MiB)`);
    line('tandem import into an empty server (one transaction)', `${imported.seconds.toFixed(1)} s`);
    line('tandem backup of the importing server (database size)', `${backup.seconds.toFixed(1)} s (${(statSync(backupFile).size / MiB).toFixed(1)} MiB)`);
    line('  the backup as the CLI reports it', backup.stdout.trim().replace(/^backed up to \S+: /, ''));
    line('  longest boot-document answer during the backup', `${longestBootMs.toFixed(0)} ms (${boots} boots)`);
    line('tandem firmware upload, 64 MiB', upload.stderr.trim().replace(/^uploaded bench 1: /, '').replace(/, sha256.*/, ''));
    line('  lib-storage Upload straight to the same store, 64 MiB', `${directSeconds.toFixed(1)} s (${((64 * MiB) / 1e6 / directSeconds).toFixed(1)} MB/s)`);
  } finally {
    await Promise.all(handlers.map((h) => h.stop()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
