import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_TERMINALS } from '../../functions/services/pending-terminals';
import { inProcessHandler } from '../support/in-process';
import { testClock, testMac } from '../support/licensing';

/* eslint-disable @typescript-eslint/no-explicit-any */

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

describe('free-form JSON has bounds', () => {
  let h: InProcess;
  beforeAll(async () => {
    h = await inProcessHandler();
  });
  afterAll(() => h?.close());

  it('refuses options nested too deep or with too many keys, and stores nothing', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    for (const options of [deep, wide]) {
      const res = await h.request('POST', '/api/v1/terminals', { token: h.adminToken, body: { mac: testMac(1), name: 'deep', options } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_field', field: 'options' });
    }
    const res = await h.request('POST', '/api/v1/display-clients', { token: h.adminToken, body: { name: 'dc', type: 'rdp', settings: wide } });
    expect(res.body).toMatchObject({ status: 400, field: 'settings' });
    expect((await h.request('GET', '/api/v1/terminals', { token: h.adminToken })).body.total).toBe(0);
    expect((await h.request('POST', '/api/v1/terminals', { token: h.adminToken, body: { mac: testMac(1), name: 'fine', options: { keyboard: 'de' } } })).status).toBe(201);
  });
});

describe('the pending-terminal list cannot be filled by made-up MACs', () => {
  let h: InProcess;
  let relay: string;
  const clock = testClock('2027-03-01T08:00:00Z');
  beforeAll(async () => {
    h = await inProcessHandler({ now: clock.now });
    relay = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'relay', name: 'relay-a' } })).body.token;
  });
  afterAll(() => h?.close());
  const bootUnknown = (n: number) => h.request('GET', `/api/v1/boot/terminals/${testMac(n)}`, { token: relay });
  const pending = async () => (await h.request('GET', '/api/v1/pending-terminals?limit=1000', { token: h.adminToken })).body;

  it('keeps the most recently seen terminals up to its cap', async () => {
    const flood = MAX_PENDING_TERMINALS + 50;
    for (let n = 1; n <= flood; n++) {
      expect((await bootUnknown(n)).status).toBe(404);
      clock.advance(1);
    }
    const list = await pending();
    expect(list.total).toBe(MAX_PENDING_TERMINALS);
    const macs = new Set(list.items.map((p: any) => p.mac));
    expect(macs.has(testMac(flood))).toBe(true);
    expect(macs.has(testMac(1))).toBe(false);
  });

  it('lets a pending terminal not seen for a month age out', async () => {
    clock.advance(31 * 86_400);
    expect((await bootUnknown(999_999)).status).toBe(404);
    expect((await pending()).items.map((p: any) => p.mac)).toEqual([testMac(999_999)]);
  });
});

describe("a display client's credentials are a secret", () => {
  let h: InProcess;
  let viewer: string;
  let relay: string;
  let clientId: string;
  beforeAll(async () => {
    h = await inProcessHandler();
    const token = async (role: string) => (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role, name: role } })).body.token as string;
    viewer = await token('viewer');
    relay = await token('relay');
    const server = await h.request('POST', '/api/v1/terminal-servers', { token: h.adminToken, body: { name: 'rds', host: 'rds1' } });
    const client = await h.request('POST', '/api/v1/display-clients', {
      token: h.adminToken,
      body: { name: 'hmi', type: 'rdp', terminalServerIds: [server.body.id], settings: { username: 'line', password: 'hunter2-plant' } },
    });
    expect(client.status).toBe(201);
    clientId = client.body.id;
    await h.request('PATCH', `/api/v1/display-clients/${clientId}`, { token: h.adminToken, body: { settings: { username: 'line', password: 'changed-secret' } } });
    await h.request('POST', '/api/v1/terminals', { token: h.adminToken, body: { mac: testMac(7), name: 'press', displayClientIds: [clientId] } });
  });
  afterAll(() => h?.close());

  it('is served to the terminal that needs it', async () => {
    const doc = JSON.stringify((await h.request('GET', `/api/v1/boot/terminals/${testMac(7)}`, { token: relay })).body);
    expect(doc).toContain('changed-secret');
  });

  it('is shown to those who may change it, redacted for viewers', async () => {
    expect((await h.request('GET', `/api/v1/display-clients/${clientId}`, { token: h.adminToken })).body.settings.password).toBe('changed-secret');
    const forViewer = await h.request('GET', `/api/v1/display-clients/${clientId}`, { token: viewer });
    expect(forViewer.body.settings).toEqual({ username: 'line', password: '[redacted]' });
    const list = await h.request('GET', '/api/v1/display-clients', { token: viewer });
    expect(JSON.stringify(list.body)).not.toMatch(/hunter2|changed-secret/);
  });

  it('never reaches the audit log or the change history', async () => {
    for (const path of [`/api/v1/audit-events?entityId=${clientId}`, `/api/v1/changes?recordId=${clientId}`]) {
      const page = await h.request('GET', path, { token: h.adminToken });
      expect(page.body.items.length).toBe(2);
      expect(JSON.stringify(page.body)).not.toMatch(/hunter2|changed-secret/);
      expect(JSON.stringify(page.body)).toContain('[redacted]');
    }
    const stored = await h.db.client.execute(`SELECT "before", "after" FROM audit_events WHERE entity_id = '${clientId}'`);
    expect(JSON.stringify(stored.rows)).not.toMatch(/hunter2|changed-secret/);
  });
});

describe('failed authentications', () => {
  const lines: Record<string, unknown>[] = [];
  let h: InProcess;
  beforeAll(async () => {
    h = await inProcessHandler({ log: (entry) => lines.push(entry) });
  });
  afterAll(() => h?.close());

  it('are logged without the token, counted, and a source that keeps failing is refused for a while', async () => {
    const guess = (n: number) => h.request('GET', '/api/v1/terminals', { token: `tdm_guess_${n}_secretish` });
    let refused: Awaited<ReturnType<typeof guess>> | null = null;
    for (let n = 0; n < 1000 && !refused; n++) {
      const res = await guess(n);
      if (res.status === 429) refused = res;
      else expect(res.body.code).toBe('invalid_token');
    }
    expect(refused?.body.code).toBe('too_many_failed_authentications');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    // While refused, a valid token from the same source waits too: guessing gains nothing.
    expect((await h.request('GET', '/api/v1/terminals', { token: h.adminToken })).status).toBe(429);

    const failures = lines.filter((l) => String(l.msg).startsWith('authentication failed'));
    expect(failures.length).toBeGreaterThanOrEqual(300);
    expect(failures[0]).toMatchObject({ level: 'warn', reason: 'invalid_token', path: '/api/v1/terminals' });
    expect(JSON.stringify(lines)).not.toContain('secretish');
  });
});

describe('a relay is known by its token', () => {
  let h: InProcess;
  let relayA: string;
  beforeAll(async () => {
    h = await inProcessHandler();
    relayA = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'relay', name: 'relay-a' } })).body.token;
    await h.request('POST', '/api/v1/terminals', { token: h.adminToken, body: { mac: testMac(2), name: 'known' } });
  });
  afterAll(() => h?.close());

  it("records boots, pending terminals and check-ins under the token's name, whatever the relay says it is", async () => {
    const claim = { 'x-tandem-relay': 'relay-b' };
    expect((await h.request('GET', `/api/v1/boot/terminals/${testMac(1)}`, { token: relayA, headers: claim })).status).toBe(404);
    expect((await h.request('POST', '/api/v1/boot/checkins', { token: relayA, headers: claim, body: { mac: testMac(2), relayId: 'relay-b', source: 'live' } })).status).toBe(204);
    const pending = (await h.request('GET', '/api/v1/pending-terminals', { token: h.adminToken })).body.items;
    expect(pending).toEqual([expect.objectContaining({ mac: testMac(1), relayId: 'relay-a' })]);
    const status = (await h.request('GET', '/api/v1/terminal-status', { token: h.adminToken })).body.items;
    expect(status).toEqual([expect.objectContaining({ mac: testMac(2), relayId: 'relay-a' })]);
    const leases = (await h.request('GET', '/api/v1/leases', { token: h.adminToken })).body.items;
    expect(leases.map((l: any) => l.relayId)).not.toContain('relay-b');
  });
});
