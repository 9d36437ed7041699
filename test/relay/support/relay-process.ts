import { waitFor } from '../../../infra/local/processes';
import { freePort } from '../../support/ports';
import { tempDir } from './files';
import { type RunningProcess, startNode, waitForHttp } from './processes';

export interface TestRelay {
  process: RunningProcess;
  tftpPort: number;
  httpPort: number;
  http: string;
  cacheDir: string;
  metric(name: string, labels?: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a real relay process on loopback high ports (`readyTimeoutMs`: how long it may take to answer, 30 s by default). */
export async function startTestRelay(env: Record<string, string>, options: { readyTimeoutMs?: number } = {}): Promise<TestRelay> {
  const tftpPort = env.RELAY_TFTP_PORT ? Number(env.RELAY_TFTP_PORT) : await freePort('udp');
  const httpPort = env.RELAY_HTTP_PORT ? Number(env.RELAY_HTTP_PORT) : await freePort();
  const cacheDir = env.RELAY_CACHE_DIR ?? tempDir('relay-cache');
  const process = startNode('relay/main.ts', {
    RELAY_ID: 'relay-test',
    RELAY_HOST: '127.0.0.1',
    RELAY_WORKERS: '1',
    RELAY_HANDLERS: 'http://127.0.0.1:9',
    RELAY_CACHE_DIR: cacheDir,
    RELAY_PROBE_INTERVAL_MS: '200',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    ...env,
    RELAY_TFTP_PORT: String(tftpPort),
    RELAY_HTTP_PORT: String(httpPort),
  });
  const http = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForHttp(`${http}/healthz`, process, options.readyTimeoutMs);
    // Every protocol it serves listening (/healthz 200: TFTP, proxyDHCP when on), not only HTTP.
    await waitFor(
      async () => process.child.exitCode === null && (await fetch(`${http}/healthz`)).status === 200,
      () => `${http}/healthz to say ready:\n${process.lines.slice(-30).join('\n')}`,
      options.readyTimeoutMs ?? 30_000,
    );
  } catch (error) {
    await process.stop();
    throw error;
  }
  return {
    process,
    tftpPort,
    httpPort,
    http,
    cacheDir,
    async metric(name, labels = '') {
      const text = await (await fetch(`${http}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    },
    stop: () => process.stop(),
  };
}
