/**
 * Start-up time of a handler and of a relay worker, through the TypeScript loader (tsx) and as
 * built JavaScript (`npm run build`): from spawn to the first `/healthz` answering 200.
 *
 *   npm run build && node --import tsx test/deploy/startup-time.ts [runs]
 *
 * The handler restarts on a database it made in a warm-up run (the usual start: migrations
 * already applied). The relay runs one process (RELAY_WORKERS=1: that process is the worker).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtEntries } from '../../infra/build/build';
import { repoRoot } from '../../infra/local/processes';
import { freePort } from '../support/ports';
import { startNode, waitForOk } from './support/node-process';

const RUNS = Number(process.argv[2] ?? 7);

interface Variant {
  name: string;
  args: string[];
  env: (dir: string, port: number) => Record<string, string>;
}

const handlerEnv = (dir: string, port: number) => ({ HOST: '127.0.0.1', PORT: String(port), TANDEM_DATA_DIR: dir, TANDEM_DEMO: '1' });
const relayEnv = (dir: string, port: number) => ({
  RELAY_HOST: '127.0.0.1',
  RELAY_HTTP_PORT: String(port),
  RELAY_TFTP_PORT: '0',
  RELAY_WORKERS: '1',
  RELAY_BOOT_DIR: dir,
  RELAY_CACHE_DIR: join(dir, 'cache'),
  RELAY_HANDLERS: 'http://127.0.0.1:9',
  S3_ENDPOINT: 'http://127.0.0.1:9',
});

const variants: Variant[] = [
  { name: 'handler, tsx loader', args: ['--import', 'tsx', 'functions/node.ts'], env: handlerEnv },
  { name: 'handler, built', args: [builtEntries.handler], env: handlerEnv },
  { name: 'relay worker, tsx loader', args: ['--import', 'tsx', 'relay/main.ts'], env: relayEnv },
  { name: 'relay worker, built', args: [builtEntries.relay], env: relayEnv },
];

async function startOnce(variant: Variant, dir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const proc = startNode(variant.args, variant.env(dir, port));
  try {
    await waitForOk(`http://127.0.0.1:${port}/healthz`, proc, 60_000, 5);
    return performance.now() - started;
  } finally {
    await proc.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  if (!existsSync(join(repoRoot, builtEntries.relay))) throw new Error('run `npm run build` first');
  console.log(`spawn → /healthz 200, ${RUNS} runs each (after one warm-up run), milliseconds`);
  for (const variant of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-startup-'));
    try {
      await startOnce(variant, dir);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await startOnce(variant, dir));
      const shown = times.map((t) => t.toFixed(0)).join(' ');
      console.log(`${variant.name.padEnd(26)} median ${median(times).toFixed(0).padStart(5)}   min ${Math.min(...times).toFixed(0).padStart(5)}   runs: ${shown}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
