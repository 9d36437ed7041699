import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { licensedInProcess, licensePayload, testMac, testVendor } from '../support/licensing';

const TERMINALS = 150;
const LICENSED = 100;
const REQUESTS = 200;

/** 200 boots for 150 distinct terminals, all at once: every terminal at least once, 50 of them twice. */
const bootOrder = () => {
  const order = [...Array.from({ length: TERMINALS }, (_, i) => i + 1), ...Array.from({ length: REQUESTS - TERMINALS }, (_, i) => (i * 3) % TERMINALS + 1)];
  return order.sort(() => Math.random() - 0.5);
};

describe('leases under concurrency on a real handler process', () => {
  let handler: HandlerProcess | undefined;
  afterAll(() => handler?.stop());

  it('200 concurrent boots for 150 terminals against a 100-terminal licence grant exactly 100 leases', async () => {
    const vendor = await testVendor();
    handler = await startHandler({ env: { TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey } });
    const admin = apiClient(handler.url, handler.adminToken);
    const relay = apiClient(handler.url, await createToken(admin, 'relay'));
    const { installationId } = (await admin.get('/api/v1/server')).body;
    const installed = await admin.call('PUT', '/api/v1/license', await vendor.sign(licensePayload(installationId, { products: [{ product: 'terminal-connection', quantity: LICENSED, appliesTo: 'primary' }] })));
    expect(installed.status).toBe(200);
    for (let n = 1; n <= TERMINALS; n++) expect((await admin.post('/api/v1/terminals', { mac: testMac(n), name: `t-${n}` })).status).toBe(201);

    const order = bootOrder();
    const answers = await Promise.all(order.map((n) => relay.get(`/api/v1/boot/terminals/${testMac(n)}`).then((res) => ({ n, status: res.status, code: res.body?.code, count: res.body?.count }))));

    const served = new Set(answers.filter((a) => a.status === 200).map((a) => a.n));
    const refused = answers.filter((a) => a.status !== 200);
    expect(served.size).toBe(LICENSED);
    expect(refused.every((a) => a.status === 403 && a.code === 'license_exhausted' && a.count === LICENSED)).toBe(true);
    // A terminal was either served every time it asked, or refused every time.
    for (const n of new Set(order)) expect(new Set(answers.filter((a) => a.n === n).map((a) => a.status)).size).toBe(1);

    const leases = await admin.get('/api/v1/leases?limit=1000');
    expect(leases.body.total).toBe(LICENSED);
    expect(new Set(leases.body.items.map((l: { mac: string }) => l.mac))).toEqual(new Set([...served].map(testMac)));
    expect((await admin.get('/api/v1/license')).body.servers[0]).toMatchObject({ licensed: LICENSED, leases: LICENSED });

    // The database agrees, read behind the handler's back after it stopped.
    await handler.stop();
    const db = createClient({ url: `file:${join(handler.dataDir, 'primary.db')}` });
    const rows = await db.execute('SELECT count(*) AS n FROM terminal_leases');
    db.close();
    expect(Number(rows.rows[0].n)).toBe(LICENSED);

    // After a restart the lease view is rebuilt: leased terminals boot, the 101st is still refused.
    handler = await handler.restart();
    const leased = [...served][0];
    const unleased = [...new Set(order)].find((n) => !served.has(n))!;
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(leased)}`)).status).toBe(200);
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(unleased)}`)).body).toMatchObject({ code: 'license_exhausted', count: LICENSED });
  });
});

describe('leases under concurrency without a lease view (as on Workers)', () => {
  it('200 concurrent boots for 150 terminals against a 100-terminal licence grant exactly 100 leases', async () => {
    const vendor = await testVendor();
    const h = await licensedInProcess(vendor, { licensing: { leaseView: 'database' } });
    try {
      await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: LICENSED, appliesTo: 'primary' }] })));
      await h.addTerminals(1, TERMINALS);
      const answers = await Promise.all(bootOrder().map(async (n) => ({ n, res: await h.boot(n) })));
      const served = new Set(answers.filter((a) => a.res.status === 200).map((a) => a.n));
      expect(served.size).toBe(LICENSED);
      expect(answers.filter((a) => a.res.status !== 200).every((a) => a.res.body.code === 'license_exhausted')).toBe(true);
      expect((await h.leases()).total).toBe(LICENSED);
      // Without a view, a leased terminal's lease is read with its document, in the same query.
      expect((await h.boot([...served][0])).status).toBe(200);
    } finally {
      h.close();
    }
  });
});
