/**
 * npm run bench:http-boot — a 16 MiB file downloaded over HTTP by N concurrent curl clients
 * from the relay and from nginx (Debian, sendfile on) in the same run, N = 1, 50, 200.
 *
 * Each figure is the median of BENCH_ROUNDS (3) rounds, relay and nginx alternating, because the
 * load of a shared machine drifts. BENCH_CLIENTS=1,50,200 and RELAY_WORKERS change the defaults.
 */
import { concurrentDownloads, formatRow, type LoadResult, medianOfRounds, relayWorkers, runBench } from '../relay/support/bench';
import { startNginx } from './reference-servers';

const SIZE = 16 * 1024 * 1024;
const COUNTS = (process.env.BENCH_CLIENTS ?? '1,50,200').split(',').map(Number);
/** Rounds per figure, alternating relay and nginx; the median round is reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
