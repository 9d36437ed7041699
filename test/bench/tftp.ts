/**
 * npm run bench:tftp — a 16 MiB file fetched by N concurrent TFTP clients from the relay and
 * from tftpd-hpa (Debian's in.tftpd) on the same machine in the same run.
 *
 *   plain:      curl tftp:// --tftp-blksize 1468 (lock-step), N = 1, 50, 200, relay vs tftpd-hpa
 *   windowsize: atftp --option "windowsize 16" against the relay, vs tftpd-hpa's plain figure
 *               (tftpd-hpa has no windowsize)
 *
 * BENCH_ROUNDS, BENCH_CLIENTS=1,50,200 and RELAY_WORKERS change the defaults.
 */
import { concurrentDownloads, formatRow, type LoadResult, medianOfRounds, relayWorkers, runBench } from '../relay/support/bench';
import { startTftpdHpa } from './reference-servers';

const SIZE = 16 * 1024 * 1024;
const COUNTS = (process.env.BENCH_CLIENTS ?? '1,50,200').split(',').map(Number);
/**
 * Rounds per figure, relay and tftpd-hpa alternating; the median round is reported. A shared
 * machine's load drifts, and a single transfer's speed depends on which core serves it: 9 rounds
 * for N = 1 (a round takes a second), 3 for N = 50, 1 for N >= 200 (a round there takes minutes).
 */
const roundsFor = (n: number) => (process.env.BENCH_ROUNDS ? Number(process.env.BENCH_ROUNDS) : n >= 200 ? 1 : n === 1 ? 9 : 3);

const curl = (port: number) => (): [string, string[]] => [
  'curl',
  ['-s', '--max-time', '300', '--tftp-blksize', '1468', '-o', '/dev/null', '-w', '%{size_download}', `tftp://127.0.0.1:${port}/image.bin`],
];
const atftp = (port: number) => (): [string, string[]] => [
  'atftp',
  ['--option', 'windowsize 16', '--option', 'blksize 1468', '-g', '-r', 'image.bin', '-l', '/dev/null', '127.0.0.1', String(port)],
];

function report(title: string, rows: Array<[number, LoadResult, LoadResult]>, labels: [string, string]) {
  const widths = [6, 14, 14, 8, 10];
  console.log(`\n${title}`);
  console.log(formatRow(['N', `${labels[0]} MB/s`, `${labels[1]} MB/s`, 'ratio', 'failures'], widths));
  for (const [n, relay, other] of rows) {
    console.log(formatRow([n, relay.mbps.toFixed(1), other.mbps.toFixed(1), `${(relay.mbps / other.mbps).toFixed(2)}×`, `${relay.failed}/${other.failed}`], widths));
  }
}

runBench({
  name: 'bench-tftp',
  imageBytes: SIZE,
  // Every client sends from 127.0.0.1, standing for N terminals of their own addresses.
  relayEnv: { RELAY_TFTP_MAX_TRANSFERS: '2000', RELAY_TFTP_MAX_TRANSFERS_PER_SOURCE: '2000' },
  startReference: startTftpdHpa,
  body: async (relay, hpa) => {
    console.log(`16 MiB file; relay workers: ${relayWorkers()}; MB = 10^6 bytes`);
    const plain: Array<[number, LoadResult, LoadResult]> = [];
    for (const n of COUNTS) {
      await concurrentDownloads(4, curl(relay.tftpPort), SIZE); // warm the workers' caches
      const [r, h] = await medianOfRounds(roundsFor(n), [() => concurrentDownloads(n, curl(relay.tftpPort), SIZE), () => concurrentDownloads(n, curl(hpa.port), SIZE)]);
      plain.push([n, r, h]);
    }
    report('plain clients: curl --tftp-blksize 1468 (lock-step)', plain, ['relay', 'tftpd-hpa']);
    const windowed: Array<[number, LoadResult, LoadResult]> = [];
    for (const [n, , h] of plain) windowed.push([n, (await medianOfRounds(roundsFor(n), [() => concurrentDownloads(n, atftp(relay.tftpPort), SIZE)]))[0], h]);
    report('windowsize 16: atftp against the relay, vs tftpd-hpa plain (it has no windowsize)', windowed, ['relay w16', 'tftpd-hpa']);
  },
});
