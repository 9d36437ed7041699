import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootFeedPageSchema, type BootFeedPage } from '../../functions/domain/boot-feed';
import { inProcessHandler } from '../support/in-process';

/**
 * The feed a relay fills its last-known-good cache from (GET /api/v1/boot/documents): every
 * terminal's document, then only what changed, on a real libSQL file. Both ways a handler
 * keeps its documents: in memory (Node, `process`) and read each time (Workers, `database`).
 */
describe.each(['process', 'database'] as const)('the relays\' feed of boot documents (%s view)', (leaseView) => {
  let h: Awaited<ReturnType<typeof inProcessHandler>>;
  let relay: string;
  let groupId: string;
  const macs = ['aa:bb:cc:00:70:01', 'aa:bb:cc:00:70:02', 'aa:bb:cc:00:70:03'];
  const ids = new Map<string, string>();

  const page = async (query = ''): Promise<BootFeedPage> => {
    const res = await h.request('GET', `/api/v1/boot/documents${query}`, { token: relay });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return bootFeedPageSchema.parse(res.body);
  };
  const after = (cursor: string) => page(`?after=${encodeURIComponent(cursor)}`);
  /** Every page of a walk from `cursor` (or from nothing), in order. */
  const walk = async (cursor?: string, limit = 2) => {
    const pages = [await page(`?limit=${limit}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`)];
    for (let i = 0; i < 100 && pages.at(-1)!.more; i++) pages.push(await page(`?limit=${limit}&after=${encodeURIComponent(pages.at(-1)!.cursor)}`));
    return pages;
  };
  const mustWrite = async (method: string, path: string, body?: unknown) => {
    const res = await h.request(method, path, { token: h.adminToken, body });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };

  beforeAll(async () => {
    h = await inProcessHandler({ licensing: { leaseView } });
    relay = (await mustWrite('POST', '/api/v1/tokens', { role: 'relay', name: 'relay-feed' })).token;
    groupId = (await mustWrite('POST', '/api/v1/groups', { name: 'line-1' })).id;
  });
  afterAll(() => h?.close());

  it('starts a walk from nothing when a relay has no cursor', async () => {
    const first = await page();
    expect(first).toMatchObject({ reset: true, more: false, documents: [], removed: [] });
    expect(first.cursor).toMatch(/^primary\.TDM-.*:0$/);
  });

  it('walks every document in pages, each exactly what a boot of the terminal gets', async () => {
    for (const [i, mac] of macs.entries()) ids.set(mac, (await mustWrite('POST', '/api/v1/terminals', { mac, name: `feed-${i}`, groupId })).id);
    const pages = await walk();
    expect(pages.map((p) => [p.reset, p.more, p.documents.length])).toEqual([
      [true, true, 2],
      [false, false, 1],
    ]);
    const documents = pages.flatMap((p) => p.documents);
    expect(documents.map((d) => d.mac).sort()).toEqual(macs);
    for (const document of documents) {
      const boot = await h.request('GET', `/api/v1/boot/terminals/${document.mac}`, { token: relay });
      expect(boot.body).toEqual(document);
      expect(boot.headers.get('etag')).toBe(`"${document.configVersion}"`);
    }
  });

  it('answers a relay that is up to date with nothing, and the same cursor', async () => {
    const [last] = (await walk(undefined, 10)).slice(-1);
    const again = await after(last.cursor);
    expect(again).toEqual({ cursor: last.cursor, reset: false, more: false, removed: [], documents: [] });
  });

  it('sends only the documents a change touched, with their new version', async () => {
    const { cursor } = (await walk(undefined, 10)).at(-1)!;
    await mustWrite('PATCH', `/api/v1/terminals/${ids.get(macs[1])}`, { videoResolution: '1920x1080' });
    const changed = await after(cursor);
    expect(changed.documents.map((d) => [d.mac, d.videoResolution])).toEqual([[macs[1], '1920x1080']]);
    expect(changed.reset).toBe(false);
    // A change to the group reaches every terminal in it.
    await mustWrite('PATCH', `/api/v1/groups/${groupId}`, { hardwareModel: 'tc-9' });
    const group = await after(changed.cursor);
    expect(group.documents.map((d) => d.mac).sort()).toEqual(macs);
    expect(group.documents.every((d) => d.hardwareModel === 'tc-9')).toBe(true);
  });

  it('names a deleted terminal, and the old MAC of one whose MAC changed', async () => {
    const { cursor } = (await walk(undefined, 10)).at(-1)!;
    await mustWrite('DELETE', `/api/v1/terminals/${ids.get(macs[0])}`);
    const deleted = await after(cursor);
    expect(deleted).toMatchObject({ removed: [macs[0]], documents: [] });
    await mustWrite('PATCH', `/api/v1/terminals/${ids.get(macs[2])}`, { mac: 'aa:bb:cc:00:70:33' });
    const moved = await after(deleted.cursor);
    expect(moved.removed).toEqual([macs[2]]);
    expect(moved.documents.map((d) => d.mac)).toEqual(['aa:bb:cc:00:70:33']);
    // A walk from nothing holds only what exists now.
    const documents = (await walk()).flatMap((p) => p.documents);
    expect(documents.map((d) => d.mac).sort()).toEqual([macs[1], 'aa:bb:cc:00:70:33']);
  });

  it("starts over for another database's cursor or one past this feed's end", async () => {
    const { cursor } = (await walk(undefined, 10)).at(-1)!;
    const seq = Number(cursor.slice(cursor.lastIndexOf(':') + 1));
    for (const foreign of [`secondary.TDM-OTHER:${seq}`, `${cursor.slice(0, cursor.lastIndexOf(':'))}:${seq + 1000}`]) {
      const restart = await after(foreign);
      expect(restart.reset).toBe(true);
      expect(restart.documents.length).toBe(2);
    }
  });

  it('refuses a cursor it never gave and a page size out of bounds, and other roles', async () => {
    for (const query of ['?after=nonsense', '?after=x:-1', '?limit=0', '?limit=1001']) {
      const res = await h.request('GET', `/api/v1/boot/documents${query}`, { token: relay });
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('invalid_field');
    }
    const admin = await h.request('GET', '/api/v1/boot/documents', { token: h.adminToken });
    expect(admin.status).toBe(403);
    expect(admin.body.code).toBe('forbidden_role');
  });
});
