import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareChanges } from '../../functions/domain/merge';
import { apiClient, createToken, type ApiClient } from '../support/handler';
import { configurationOf, eventually, settled, startPair, type Pair, type PairMember } from '../support/pair';

/* eslint-disable @typescript-eslint/no-explicit-any */

const pause = async (...members: PairMember[]) => {
  for (const m of members) expect((await m.admin.post('/api/v1/sync/pause', {})).status).toBe(200);
};
const resume = async (...members: PairMember[]) => {
  for (const m of members) expect((await m.admin.post('/api/v1/sync/resume', {})).status).toBe(200);
};
const changeOf = async (api: ApiClient, recordId: string, origin: string) => {
  const res = await api.get(`/api/v1/changes?recordId=${recordId}&server=${origin}&limit=1`);
  expect(res.status).toBe(200);
  return res.body.items[0];
};

describe('full redundancy: two real handlers, each with its own database', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ mode: 'full' });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('carries a write on A to B, and a write on B to A', async () => {
    const { a, b } = pair;
    const created = await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:01', name: 'press-1', hardwareModel: 'TC-200' });
    expect(created.status).toBe(201);
    const onB = await eventually(b.admin, `/api/v1/terminals/${created.body.id}`, (r) => r.status === 200, 'the terminal written on A to appear on B');
    expect(onB.body).toEqual(created.body);

    const patched = await b.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'TC-300' }, { 'if-match': '"1"' });
    expect(patched.status).toBe(200);
    const onA = await eventually(a.admin, `/api/v1/terminals/${created.body.id}`, (r) => r.body?.hardwareModel === 'TC-300', 'the change made on B to reach A');
    expect(onA.body).toEqual(patched.body);

    // The boot documents were re-resolved with the pulled change: both servers boot the terminal alike.
    const relayA = await createToken(a.admin, 'relay');
    const relayB = await createToken(b.admin, 'relay');
    const bootA = await fetch(`${a.handler.url}/api/v1/boot/terminals/aa-bb-cc-01-00-01`, { headers: { authorization: `Bearer ${relayA}` } });
    const bootB = await fetch(`${b.handler.url}/api/v1/boot/terminals/aa-bb-cc-01-00-01`, { headers: { authorization: `Bearer ${relayB}` } });
    expect(bootA.status).toBe(200);
    expect(await bootB.json()).toEqual(await bootA.json());

    const metrics = await fetch(`${a.handler.url}/metrics`, { headers: { authorization: `Bearer ${a.handler.adminToken}` } });
    expect(await metrics.text()).toMatch(/^tandem_sync_changes_applied [1-9]\d*$/m);

    // Each change exists once on each server, with the server it was made on; nothing was sent back.
    for (const m of [a, b]) {
      const history = (await m.admin.get(`/api/v1/changes?recordId=${created.body.id}`)).body;
      expect(history.items.map((c: any) => [c.operation, c.origin])).toEqual([
        ['update', 'server-b'],
        ['create', 'server-a'],
      ]);
    }

    // B holds the document it just served in memory: a change pulled from A replaces it there.
    const again = await a.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'TC-400' }, { 'if-match': `"${onA.body.version}"` });
    expect(again.status).toBe(200);
    await eventually(apiClient(b.handler.url, relayB), '/api/v1/boot/terminals/aa-bb-cc-01-00-01', (r) => r.body?.hardwareModel === 'TC-400', "the change made on A to reach B's boot API");
  });

  it('catches A up after it was killed with SIGKILL while B took writes', async () => {
    await pair.a.handler.kill();
    const made = await pair.b.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:02', name: 'press-2' });
    expect(made.status).toBe(201);
    const group = await pair.b.admin.post('/api/v1/groups', { name: 'line-1', videoResolution: '1920x1080' });
    expect(group.status).toBe(201);
    const moved = await pair.b.admin.patch(`/api/v1/terminals/${made.body.id}`, { groupId: group.body.id });
    expect(moved.status).toBe(200);

    const status = await pair.b.admin.get('/api/v1/sync/status');
    expect(status.body.peer.reachable).toBe(false);

    const a = await pair.restart('a');
    const caughtUp = await eventually(a.admin, `/api/v1/terminals/${made.body.id}`, (r) => r.body?.groupId === group.body.id, 'A to catch up after its restart');
    expect(caughtUp.body).toEqual(moved.body);
    await settled(pair);
    expect(await configurationOf(pair.a.admin)).toEqual(await configurationOf(pair.b.admin));
  });

  it('tells both servers of a terminal put into a group the other server deleted at the same time', async () => {
    const { a, b } = pair;
    const group = await a.admin.post('/api/v1/groups', { name: 'line-9', videoResolution: '800x600' });
    expect(group.status).toBe(201);
    await eventually(b.admin, `/api/v1/groups/${group.body.id}`, (r) => r.status === 200, 'the group to reach B');

    await pause(a, b);
    expect((await a.admin.delete(`/api/v1/groups/${group.body.id}`)).status).toBe(204);
    const terminal = await b.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:09', name: 'press-9', groupId: group.body.id });
    expect(terminal.status).toBe(201);
    await resume(a, b);
    await settled(pair);

    for (const m of [a, b]) {
      const status = (await m.admin.get('/api/v1/sync/status')).body;
      expect(status.danglingReferences).toEqual([{ entity: 'terminal', id: terminal.body.id, name: 'press-9', field: 'groupId', missing: group.body.id }]);
      expect(status.warnings).toContainEqual(expect.stringMatching(/^terminal "press-9" names groupId .* which was deleted/));
    }
    // Fixed on one server, the warning goes on both.
    expect((await b.admin.patch(`/api/v1/terminals/${terminal.body.id}`, { groupId: null })).status).toBe(200);
    await settled(pair);
    for (const m of [a, b]) expect((await m.admin.get('/api/v1/sync/status')).body.danglingReferences).toEqual([]);
  });

  it('settles the same terminal edited on both sides while paused on one winner, with one conflict on each', async () => {
    const { a, b } = pair;
    const created = await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:03', name: 'press-3', hardwareModel: 'TC-200' });
    await eventually(b.admin, `/api/v1/terminals/${created.body.id}`, (r) => r.status === 200, 'the terminal to reach B');
    const openBefore = { a: (await a.admin.get('/api/v1/sync/status')).body.openConflicts, b: (await b.admin.get('/api/v1/sync/status')).body.openConflicts };

    await pause(a, b);
    expect((await a.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'edited-on-a', videoResolution: '1280x1024' })).status).toBe(200);
    expect((await b.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'edited-on-b' })).status).toBe(200);
    // Paused: neither has the other's edit.
    expect((await a.admin.get(`/api/v1/terminals/${created.body.id}`)).body.hardwareModel).toBe('edited-on-a');
    expect((await b.admin.get(`/api/v1/terminals/${created.body.id}`)).body.hardwareModel).toBe('edited-on-b');
    await resume(a, b);
    await settled(pair);

    const fromA = await changeOf(a.admin, created.body.id, 'server-a');
    const fromB = await changeOf(b.admin, created.body.id, 'server-b');
    const winner = compareChanges(fromA, fromB) > 0 ? fromA : fromB;
    const rowA = (await a.admin.get(`/api/v1/terminals/${created.body.id}`)).body;
    const rowB = (await b.admin.get(`/api/v1/terminals/${created.body.id}`)).body;
    expect(rowA).toEqual(rowB);
    expect(rowA).toEqual(winner.after);

    for (const [m, before] of [[a, openBefore.a], [b, openBefore.b]] as const) {
      const status = (await m.admin.get('/api/v1/sync/status')).body;
      expect(status.openConflicts).toBe(before + 1);
      const conflicts = (await m.admin.get(`/api/v1/sync/conflicts?recordId=${created.body.id}`)).body.items;
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({ kind: 'concurrent', entity: 'terminal', winnerChangeId: winner.changeId });
      expect([conflicts[0].local.changeId, conflicts[0].remote.changeId].sort()).toEqual([fromA.changeId, fromB.changeId].sort());
      const audit = (await m.admin.get(`/api/v1/audit-events?entityId=${created.body.id}`)).body.items;
      expect(audit.map((e: any) => e.action)).toContain('sync.conflict');
    }
  });

  it('resolves a delete on one side against an update on the other the same way on both', async () => {
    const { a, b } = pair;
    const ids: string[] = [];
    for (const n of [4, 5]) {
      const t = await a.admin.post('/api/v1/terminals', { mac: `aa:bb:cc:01:00:0${n}`, name: `press-${n}` });
      ids.push(t.body.id);
    }
    for (const id of ids) await eventually(b.admin, `/api/v1/terminals/${id}`, (r) => r.status === 200, 'the terminals to reach B');

    await pause(a, b);
    // press-4: updated on B, then deleted on A. press-5: deleted on A, then updated on B.
    expect((await b.admin.patch(`/api/v1/terminals/${ids[0]}`, { hardwareModel: 'kept?' })).status).toBe(200);
    expect((await a.admin.delete(`/api/v1/terminals/${ids[0]}`)).status).toBe(204);
    expect((await a.admin.delete(`/api/v1/terminals/${ids[1]}`)).status).toBe(204);
    expect((await b.admin.patch(`/api/v1/terminals/${ids[1]}`, { hardwareModel: 'kept?' })).status).toBe(200);
    await resume(a, b);
    await settled(pair);

    for (const id of ids) {
      const deletion = await changeOf(a.admin, id, 'server-a');
      const update = await changeOf(b.admin, id, 'server-b');
      expect(deletion.operation).toBe('delete');
      expect(update.operation).toBe('update');
      const deleteWins = compareChanges(deletion, update) > 0;
      const onA = await a.admin.get(`/api/v1/terminals/${id}`);
      const onB = await b.admin.get(`/api/v1/terminals/${id}`);
      expect(onA.status).toBe(onB.status);
      expect(onA.status).toBe(deleteWins ? 404 : 200);
      if (!deleteWins) expect(onA.body).toEqual(onB.body);
      for (const m of [a, b]) {
        const conflicts = (await m.admin.get(`/api/v1/sync/conflicts?recordId=${id}`)).body.items;
        expect(conflicts).toHaveLength(1);
        expect(conflicts[0].winnerChangeId).toBe(deleteWins ? deletion.changeId : update.changeId);
      }
    }
    expect(await configurationOf(a.admin)).toEqual(await configurationOf(b.admin));
  });

  it('keeps one terminal when both sides created the same MAC under different ids, and reports it', async () => {
    const { a, b } = pair;
    await pause(a, b);
    const onA = await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:66', name: 'twin-on-a' });
    const onB = await b.admin.post('/api/v1/terminals', { mac: 'AA-BB-CC-01-00-66', name: 'twin-on-b' });
    expect(onA.status).toBe(201);
    expect(onB.status).toBe(201);
    await resume(a, b);
    await settled(pair);

    const keeper = onA.body.createdAt < onB.body.createdAt || (onA.body.createdAt === onB.body.createdAt && onA.body.id < onB.body.id) ? onA.body : onB.body;
    const loser = keeper === onA.body ? onB.body : onA.body;
    for (const m of [a, b]) {
      const found = (await m.admin.get('/api/v1/terminals?mac=aa:bb:cc:01:00:66')).body.items;
      expect(found).toEqual([keeper]);
      expect((await m.admin.get(`/api/v1/terminals/${loser.id}`)).status).toBe(404);
      const conflicts = (await m.admin.get(`/api/v1/sync/conflicts?recordId=${loser.id}`)).body.items;
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({ kind: 'unique', entity: 'terminal', recordId: loser.id });
      // Both versions are kept, so an admin can re-create the other terminal.
      expect([conflicts[0].local.state.id, conflicts[0].remote.state.id].sort()).toEqual([keeper.id, loser.id].sort());
    }
    expect(await configurationOf(a.admin)).toEqual(await configurationOf(b.admin));
  });
});
