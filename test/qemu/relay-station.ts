import { waitFor } from '../../infra/local/processes';
import { startInNamespace, type NsProcess } from './ns-process';
import type { Station } from './plant-network';

/** A relay on its own machine of the plant network, started and stopped as a test step needs. */
export interface RelayStation {
  id: string;
  station: Station;
  /** `http://<address>:8080`, as terminals reach it. */
  url: string;
  readonly process: NsProcess | null;
  /**
   * Starts it the way systemd does at power-on, before the switch port is up: the link has no
   * carrier while the relay starts; once it listens, the link comes up. Resolves when it says it
   * is ready (`/healthz` 200 over the plant network). `overrides`: settings for this run only.
   */
  startBeforeLink(overrides?: Record<string, string>): Promise<void>;
  /** A counter of its `/metrics`: the sum over the series whose labels include every one of `labels` (`name="value"`). */
  counter(name: string, labels: string[]): Promise<number>;
  /** Waits until its `/healthz` says its cache is filled and holds `terminals` terminals (reading it fills nothing). */
  waitForCache(terminals: number): Promise<void>;
  stop(): Promise<void>;
  /** Everything it logged, over all its runs. */
  output(): string;
}

const HTTP_PORT = 8080;

/** `env`: the relay's settings (handlers, token, object store, …); its id, host and ports are set here. */
export function relayStation(id: string, station: Station, env: Record<string, string>): RelayStation {
  let running: NsProcess | null = null;
  let earlier = '';
  const url = `http://${station.address}:${HTTP_PORT}`;
  return {
    id,
    station,
    url,
    get process() {
      return running;
    },
    async startBeforeLink(overrides = {}) {
      if (running) throw new Error(`${id} is already running`);
      await station.setCarrier(false);
      const relay = startInNamespace(station.ns, [process.execPath, '--import', 'tsx', 'relay/main.ts'], {
        NODE_NO_WARNINGS: '1',
        ...env,
        // What the relay must find out itself: the address it advertises, the networks it serves.
        RELAY_ADVERTISE_ADDRESS: undefined,
        RELAY_DHCP_NETWORKS: undefined,
        ...overrides,
        RELAY_ID: id,
        RELAY_HOST: '0.0.0.0',
        RELAY_HTTP_PORT: String(HTTP_PORT),
      });
      running = relay;
      const exited = () => relay.child.exitCode !== null || relay.child.signalCode !== null;
      await waitFor(
        async () => exited() || relay.records().some((r) => r.event === 'relay_listening'),
        () => `${id} to listen:\n${relay.output().slice(-3000)}`,
        60_000,
      );
      if (exited()) throw new Error(`${id} exited while starting:\n${relay.output().slice(-3000)}`);
      await station.setCarrier(true);
      let last = '';
      await waitFor(
        async () => {
          const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
          last = `${res.status} ${(await res.text()).slice(0, 1000)}`;
          return res.status === 200;
        },
        () => `${id} to be ready at ${url}/healthz; last answer: ${last || 'none'}`,
        60_000,
      );
    },
    async counter(name, labels) {
      const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.slice(0, line.indexOf('}')).includes(label)))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    },
    async waitForCache(terminals) {
      let last = '';
      await waitFor(
        async () => {
          const body = (await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).json()) as { cache?: { ready?: boolean; terminals?: number } };
          last = JSON.stringify(body.cache);
          return body.cache?.ready === true && (body.cache.terminals ?? 0) >= terminals;
        },
        () => `${id} to hold ${terminals} terminals in its cache; /healthz cache: ${last || 'no answer'}`,
        60_000,
      );
    },
    async stop() {
      if (!running) return;
      await running.stop();
      earlier += running.output();
      running = null;
    },
    output: () => earlier + (running?.output() ?? ''),
  };
}
