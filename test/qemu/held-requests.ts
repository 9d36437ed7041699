import { sh } from '../support/netns';

/** HTTP requests held at a machine's door: they arrive, and go no further. */
export interface HeldRequests {
  /** How many packets of such requests have arrived (and been dropped) so far. */
  count(): Promise<number>;
  release(): Promise<void>;
}

const TABLE = 'tandem_hold';

/**
 * Drops, in namespace `ns`, every TCP segment to `port` whose payload starts with `GET <pathPrefix>`
 * (nftables, matched on the first bytes of the TCP payload): the client's request never reaches
 * the server, and the client waits for an answer. What a test needs to stop a server between two
 * requests of one client, whatever the timing between them.
 */
export async function holdHttpRequests(ns: string, port: number, pathPrefix: string): Promise<HeldRequests> {
  const start = Buffer.from(`GET ${pathPrefix}`, 'latin1');
  const nft = (...args: string[]) => sh(['ip', 'netns', 'exec', ns, 'nft', ...args]);
  await nft('add', 'table', 'inet', TABLE);
  await nft('add', 'chain', 'inet', TABLE, 'input', '{ type filter hook input priority 0; }');
  await nft('add', 'rule', 'inet', TABLE, 'input', 'tcp', 'dport', String(port), `@ih,0,${start.length * 8}`, `0x${start.toString('hex')}`, 'counter', 'drop');
  return {
    async count() {
      const listing = await nft('list', 'chain', 'inet', TABLE, 'input');
      return Number(/counter packets (\d+)/.exec(listing)?.[1] ?? 0);
    },
    release: async () => void (await nft('delete', 'table', 'inet', TABLE).catch(() => '')),
  };
}
