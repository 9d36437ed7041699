import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { dhcpPeer, type DhcpPeer, pxeRequest } from './support/dhcp';
import { bootTreeWithLoaders, tempDir } from './support/files';
import { type RunningProcess, startNode } from './support/processes';
import { type StandInHandler, startStandInHandler } from './support/stand-in-handler';

const TERMINAL = '127.0.0.2';
const MAC = 'aa:bb:cc:00:64:01';

interface Health {
  /** The HTTP status. */
  code: number;
  ready?: boolean;
  notReady?: string[];
}

async function health(url: string): Promise<Health | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { ...((await res.json()) as Omit<Health, 'code'>), code: res.status };
  } catch {
    return null;
  }
}

/** Whether a TFTP read request to port gets any answer (DATA, OACK or ERROR) within 2 s. */
function tftpAnswers(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), 2000);
    socket.on('message', () => done(true));
    socket.on('error', () => done(false));
    socket.send(Buffer.from('\x00\x01undionly.kpxe\x00octet\x00', 'latin1'), port, '127.0.0.1');
  });
}

/**
 * /healthz answers 200 only when every protocol the relay serves listens: TFTP, proxyDHCP (on
 * here) and HTTP (and its configuration cache is filled). A relay of two workers: the one that serves HTTP only used to answer 200 before
 * the other had TFTP listening.
 */
describe('a relay is ready when every protocol it serves listens', { timeout: 120_000 }, () => {
  let relay: RunningProcess | undefined;
  let terminal: DhcpPeer | undefined;
  let handler: StandInHandler | undefined;

  afterEach(async () => {
    terminal?.close();
    await relay?.stop();
    await handler?.close();
  });

  async function start() {
    const [tftpPort, httpPort, dhcpPort, pxePort, clientPort] = [await freePort('udp'), await freePort(), await freePort('udp'), await freePort('udp'), await freePort('udp')];
    terminal = await dhcpPeer(TERMINAL, clientPort);
    // A handler that knows every terminal: the relay offers to boot only those it can serve.
    handler = await startStandInHandler();
    relay = startNode('relay/main.ts', {
      RELAY_ID: 'relay-ready',
      RELAY_HOST: '127.0.0.1',
      RELAY_WORKERS: '2',
      RELAY_HANDLERS: handler.url,
      S3_ENDPOINT: 'http://127.0.0.1:9',
      RELAY_CACHE_DIR: tempDir('relay-cache'),
      RELAY_BOOT_DIR: bootTreeWithLoaders(),
      RELAY_TFTP_PORT: String(tftpPort),
      RELAY_HTTP_PORT: String(httpPort),
      RELAY_PROXYDHCP: 'on',
      RELAY_DHCP_HOST: '127.0.0.1',
      RELAY_DHCP_PORT: String(dhcpPort),
      RELAY_PXE_PORT: String(pxePort),
      RELAY_DHCP_CLIENT_PORT: String(clientPort),
    });
    return { url: `http://127.0.0.1:${httpPort}/healthz`, tftpPort, dhcpPort };
  }

  /** Polls /healthz (bounded) until `until` holds for an answer; answers every answer seen. */
  async function poll(url: string, until: (h: Health) => boolean, timeoutMs = 60_000): Promise<Health[]> {
    const seen: Health[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (relay!.child.exitCode !== null) throw new Error(`the relay exited:\n${relay!.lines.slice(-30).join('\n')}`);
      const h = await health(url);
      if (h) {
        seen.push(h);
        if (until(h)) return seen;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`/healthz never said what was waited for; seen: ${JSON.stringify(seen.slice(-5))}`);
  }

  it('says 503 with what is not listening until TFTP and proxyDHCP answer, and 200 only then', async () => {
    const { url, tftpPort, dhcpPort } = await start();
    const seen = await poll(url, (h) => h.code === 200);
    // The first 200: both protocols answer at once (and the cache is filled, so proxyDHCP offers).
    expect(await tftpAnswers(tftpPort)).toBe(true);
    expect((await terminal!.exchange(pxeRequest(MAC, { ciaddr: TERMINAL }), dhcpPort))?.file).toBe('snponly.efi');
    for (const h of seen) {
      if (h.code === 200) expect(h).toMatchObject({ ready: true, notReady: [] });
      else expect(h.code === 503 && h.ready === false && h.notReady!.length > 0 && h.notReady!.every((p) => ['tftp', 'proxyDhcp', 'cache'].includes(p)), JSON.stringify(h)).toBe(true);
    }
  });

  it('says 503 from the HTTP worker while the worker with TFTP and proxyDHCP does not answer, and 200 again once it does', async () => {
    const { url, tftpPort } = await start();
    await poll(url, (h) => h.code === 200);
    const holder = relay!.records().find((r) => r.event === 'relay_listening' && r.tftpPort !== null);
    expect(holder).toBeDefined();
    const pid = Number(holder!.pid);
    process.kill(pid, 'SIGSTOP');
    try {
      // The stopped worker answers nothing; the other one cannot learn that TFTP listens.
      const stopped = await poll(url, (h) => h.code === 503);
      expect(stopped.at(-1)).toMatchObject({ ready: false, notReady: ['tftp', 'proxyDhcp'] });
      expect(await tftpAnswers(tftpPort)).toBe(false);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await poll(url, (h) => h.code === 200);
    expect(await tftpAnswers(tftpPort)).toBe(true);
  });
});
