/**
 * npm run bench:http-boot — a 16 MiB file downloaded over HTTP by N concurrent curl clients
 * from the relay and from nginx (Debian, sendfile on) in the same run, N = 1, 50, 200.
 *
 * Each figure is the median of BENCH_ROUNDS (3) rounds, relay and nginx alternating, because the
 * load of a shared machine drifts. BENCH_CLIENTS=1,50,200 and RELAY_WORKERS change the defaults.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concurrentDownloads, formatRow, type LoadResult, medianOfRounds, relayWorkers, runBench } from '../relay/support/bench';
import { tempDir } from '../relay/support/files';
import { freePort } from '../support/ports';

const SIZE = 16 * 1024 * 1024;
const COUNTS = (process.env.BENCH_CLIENTS ?? '1,50,200').split(',').map(Number);
/** Rounds per figure, alternating relay and nginx; the median round is reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function startNginx(root: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const prefix = tempDir('bench-nginx');
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
      await res.arrayBuffer();
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('nginx did not start (is nginx-light installed?)');
}

const curl = (port: number) => (): [string, string[]] => [
  'curl',
  ['-s', '--max-time', '300', '-o', '/dev/null', '-w', '%{size_download}', `http://127.0.0.1:${port}/image.bin`],
];

runBench({
  name: 'bench-http',
  imageBytes: SIZE,
  relayEnv: {},
  startReference: startNginx,
  body: async (relay, nginx) => {
    console.log(`16 MiB file over HTTP; relay workers: ${relayWorkers()}; median of ${ROUNDS} rounds; MB = 10^6 bytes`);
    const rows: Array<[number, LoadResult, LoadResult]> = [];
    for (const n of COUNTS) {
      await concurrentDownloads(4, curl(relay.httpPort), SIZE); // warm both workers' caches
      await concurrentDownloads(1, curl(nginx.port), SIZE);
      const [r, g] = await medianOfRounds(ROUNDS, [() => concurrentDownloads(n, curl(relay.httpPort), SIZE), () => concurrentDownloads(n, curl(nginx.port), SIZE)]);
      rows.push([n, r, g]);
    }
    const widths = [6, 12, 12, 8, 10];
    console.log(formatRow(['N', 'relay MB/s', 'nginx MB/s', 'ratio', 'failures'], widths));
    for (const [n, r, g] of rows) console.log(formatRow([n, r.mbps.toFixed(0), g.mbps.toFixed(0), `${(r.mbps / g.mbps).toFixed(2)}×`, `${r.failed}/${g.failed}`], widths));
  },
});
