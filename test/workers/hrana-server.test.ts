import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parameterNames, startHranaServer, type HranaServer } from '../support/hrana-server';

const dir = mkdtempSync(join(tmpdir(), 'tandem-hrana-'));
let server: HranaServer;
let client: Client;
const openClients: Client[] = [];

const connect = (url = server.url, authToken = 'test-token') => {
  const c = createClient({ url, authToken });
  openClients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startHranaServer({ file: join(dir, 'db.sqlite'), authToken: 'test-token' });
  client = connect();
  await client.execute('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, weight REAL, data BLOB)');
});

afterEach(async () => {
  await client.execute('DELETE FROM things');
});

afterAll(async () => {
  for (const c of openClients) c.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const names = async (c: Client = client) =>
  (await c.execute('SELECT name FROM things ORDER BY id')).rows.map((row) => row.name);

describe('Hrana-over-HTTP test server with @libsql/client/web', () => {
  it('inserts and selects every value type, with column names and declared types', async () => {
    const insert = await client.execute({
      sql: 'INSERT INTO things (name, weight, data) VALUES (?, ?, ?)',
      args: ['bolt', 2.5, new Uint8Array([0, 1, 254, 255])],
    });
    expect(insert.rowsAffected).toBe(1);
    expect(insert.lastInsertRowid).toBe(1n);

    const result = await client.execute('SELECT id, name, weight, data, NULL AS missing FROM things');
    expect(result.columns).toEqual(['id', 'name', 'weight', 'data', 'missing']);
    expect(result.columnTypes).toEqual(['INTEGER', 'TEXT', 'REAL', 'BLOB', '']);
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0]!;
    expect(row.id).toBe(1);
    expect(row.name).toBe('bolt');
    expect(row.weight).toBe(2.5);
    expect(new Uint8Array(row.data as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect(row.missing).toBeNull();
  });

  it('keeps 64-bit integers exact and binds them as integers', async () => {
    const big = 2n ** 62n + 1n;
    const c = createClient({ url: server.url, authToken: 'test-token', intMode: 'bigint' });
    openClients.push(c);
    const result = await c.execute({ sql: 'SELECT ? AS big, typeof(?) AS type', args: [big, big] });
    expect(result.rows[0]!.big).toBe(big);
    expect(result.rows[0]!.type).toBe('integer');
  });

  it('binds named arguments whatever their prefix', async () => {
    const result = await client.execute({
      sql: 'SELECT :a AS a, @b AS b, $c AS c, :a || @b AS ab',
      args: { a: 'x', b: 'y', c: 3n },
    });
    expect(result.rows[0]).toMatchObject({ a: 'x', b: 'y', c: 3, ab: 'xy' });
  });

  it('reports SQL errors with the code sqld uses and leaves the database unchanged', async () => {
    await client.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['nut'] });
    const failure = await client.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['nut'] }).catch((e) => e);
    expect(failure.code).toBe('SQLITE_CONSTRAINT');
    expect(failure.message).toContain('UNIQUE constraint failed: things.name');
    expect(await names()).toEqual(['nut']);
  });

  it('commits an interactive transaction that spans several requests', async () => {
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['washer'] });
    await tx.execute({ sql: 'UPDATE things SET weight = ? WHERE name = ?', args: [0.5, 'washer'] });
    expect((await tx.execute('SELECT count(*) AS n FROM things')).rows[0]!.n).toBe(1);
    await tx.commit();

    const other = connect();
    const rows = (await other.execute('SELECT name, weight FROM things')).rows;
    expect(rows.map((r) => [r.name, r.weight])).toEqual([['washer', 0.5]]);
  });

  it('rolls back an interactive transaction', async () => {
    await client.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['kept'] });
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['dropped'] });
    await tx.execute({ sql: 'DELETE FROM things WHERE name = ?', args: ['kept'] });
    expect(await names(tx as unknown as Client)).toEqual(['dropped']);
    await tx.rollback();
    expect(await names()).toEqual(['kept']);
  });

  it('makes another stream wait for an open transaction instead of failing with SQLITE_BUSY', async () => {
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['first'] });
    let otherDone = false;
    const other = connect()
      .execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['second'] })
      .then(() => (otherDone = true));
    // The other write cannot have run yet: it would see "first" uncommitted or have failed.
    await tx.execute({ sql: 'INSERT INTO things (name) VALUES (?)', args: ['third'] });
    expect(otherDone).toBe(false);
    await tx.commit();
    await other;
    expect(await names()).toEqual(['first', 'third', 'second']);
  });

  it('runs a batch as one transaction, and rolls all of it back when a statement fails', async () => {
    const results = await client.batch(
      [
        { sql: 'INSERT INTO things (name) VALUES (?)', args: ['a'] },
        { sql: 'INSERT INTO things (name) VALUES (?)', args: ['b'] },
        'SELECT count(*) AS n FROM things',
      ],
      'write',
    );
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 1, 0]);
    expect(results[2]!.rows[0]!.n).toBe(2);

    const failure = await client
      .batch(
        [
          { sql: 'INSERT INTO things (name) VALUES (?)', args: ['c'] },
          { sql: 'INSERT INTO things (name) VALUES (?)', args: ['a'] },
          { sql: 'INSERT INTO things (name) VALUES (?)', args: ['d'] },
        ],
        'write',
      )
      .catch((e) => e);
    expect(failure.code).toBe('SQLITE_CONSTRAINT');
    expect(await names()).toEqual(['a', 'b']);
  });

  it('reuses stored SQL texts within a batch', async () => {
    const insert = { sql: 'INSERT INTO things (name) VALUES (?) RETURNING id' };
    const results = await client.batch(
      ['x', 'y', 'z'].map((name) => ({ ...insert, args: [name] })),
      'write',
    );
    expect(results.map((r) => r.rows[0]!.id)).toEqual([1, 2, 3]);
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 1, 1]);
    expect(await names()).toEqual(['x', 'y', 'z']);
  });

  it('runs a sequence of statements with executeMultiple', async () => {
    await client.executeMultiple(`
      INSERT INTO things (name) VALUES ('p');
      INSERT INTO things (name) VALUES ('q');
    `);
    expect(await names()).toEqual(['p', 'q']);
  });

  it('rejects a request without the right bearer token', async () => {
    const stranger = connect(server.url, 'wrong-token');
    const failure = await stranger.execute('SELECT 1').catch((e) => e);
    expect(failure.code).toBe('SERVER_ERROR');
    expect(failure.message).toContain('401');
    expect((await client.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });
});

describe('Hrana-over-HTTP test server, protocol details', () => {
  const pipeline = (body: unknown) =>
    fetch(`${server.url}/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const exec = (sql: string) => ({ type: 'execute', stmt: { sql } });

  it('answers the version probes: v2 yes, v3 no', async () => {
    const headers = { authorization: 'Bearer test-token' };
    expect((await fetch(`${server.url}/v2`, { headers })).status).toBe(200);
    expect((await fetch(`${server.url}/v3`, { headers })).status).toBe(404);
    expect((await fetch(`${server.url}/v3-protobuf`, { headers })).status).toBe(404);
  });

  it('issues a new baton per request, refuses a used one, and returns null after close', async () => {
    const first = await (await pipeline({ baton: null, requests: [exec('BEGIN'), exec("INSERT INTO things (name) VALUES ('held')")] })).json();
    expect(first.results.map((r: { type: string }) => r.type)).toEqual(['ok', 'ok']);
    expect(typeof first.baton).toBe('string');

    const second = await (await pipeline({ baton: first.baton, requests: [{ type: 'get_autocommit' }] })).json();
    expect(second.results[0].response).toEqual({ type: 'get_autocommit', is_autocommit: false });
    expect(second.baton).not.toBe(first.baton);

    const reused = await pipeline({ baton: first.baton, requests: [exec('SELECT 1')] });
    expect(reused.status).toBe(400);

    const last = await (await pipeline({ baton: second.baton, requests: [exec('COMMIT'), { type: 'close' }] })).json();
    expect(last.baton).toBeNull();
    expect(last.results.map((r: { type: string }) => r.type)).toEqual(['ok', 'ok']);
    expect(await names()).toEqual(['held']);
  });

  it('evaluates batch conditions and reports skipped steps as null', async () => {
    const body = await (
      await pipeline({
        baton: null,
        requests: [
          {
            type: 'batch',
            batch: {
              steps: [
                { stmt: { sql: 'SELECT nope FROM nowhere' } },
                { condition: { type: 'error', step: 0 }, stmt: { sql: "INSERT INTO things (name) VALUES ('after-error')" } },
                { condition: { type: 'ok', step: 0 }, stmt: { sql: "INSERT INTO things (name) VALUES ('after-ok')" } },
                {
                  condition: { type: 'and', conds: [{ type: 'ok', step: 1 }, { type: 'is_autocommit' }] },
                  stmt: { sql: 'SELECT 1' },
                },
                { condition: { type: 'not', cond: { type: 'or', conds: [{ type: 'ok', step: 3 }] } }, stmt: { sql: 'SELECT 2' } },
              ],
            },
          },
          { type: 'close' },
        ],
      })
    ).json();
    const { step_results: results, step_errors: errors } = body.results[0].response.result;
    expect(errors[0].code).toBe('SQLITE_UNKNOWN');
    expect(errors[0].message).toContain('no such table: nowhere');
    expect(results.map((r: unknown) => r !== null)).toEqual([false, true, false, true, false]);
    expect(errors.slice(1)).toEqual([null, null, null, null]);
    expect(await names()).toEqual(['after-error']);
  });

  it('describes a statement', async () => {
    const body = await (
      await pipeline({
        baton: null,
        requests: [
          { type: 'describe', sql: 'SELECT id, name FROM things WHERE name = :name AND id > ?' },
          { type: 'describe', sql: 'DELETE FROM things WHERE id = ?' },
          { type: 'close' },
        ],
      })
    ).json();
    expect(body.results[0].response.result).toEqual({
      params: [{ name: ':name' }, { name: null }],
      cols: [
        { name: 'id', decltype: 'INTEGER' },
        { name: 'name', decltype: 'TEXT' },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(body.results[1].response.result.is_readonly).toBe(false);
  });

  it('refuses named arguments that leave a parameter without a value', async () => {
    const body = await (
      await pipeline({
        baton: null,
        requests: [
          { type: 'execute', stmt: { sql: 'SELECT :a, :b', named_args: [{ name: 'a', value: { type: 'null' } }] } },
          { type: 'close' },
        ],
      })
    ).json();
    expect(body.results[0].type).toBe('error');
    expect(body.results[0].error.code).toBe('ARGS_INVALID');
  });

  it('rolls back and closes a stream left idle, and lets the waiting streams through', async () => {
    const quick = await startHranaServer({ file: join(dir, 'idle.sqlite'), streamIdleMs: 50 });
    try {
      const a = connect(quick.url, undefined);
      const b = connect(quick.url, undefined);
      await a.execute('CREATE TABLE t (v TEXT)');
      const tx = await a.transaction('write');
      await tx.execute("INSERT INTO t VALUES ('abandoned')");
      // b waits for the transaction, which only ends when its stream expires.
      await b.execute("INSERT INTO t VALUES ('after')");
      const failure = await tx.commit().catch((e) => e);
      expect(failure.code).toBe('STREAM_EXPIRED');
      expect((await b.execute('SELECT v FROM t')).rows.map((r) => r.v)).toEqual(['after']);
    } finally {
      await quick.close();
    }
  });
});

describe('parameterNames', () => {
  it('numbers parameters the way SQLite does and skips literals and comments', () => {
    expect(parameterNames("SELECT ?, :a, '?:x' AS \"@y\", ?5, ?, :a -- :z\n /* $w */ , $b, x$c")).toEqual([
      null,
      ':a',
      null,
      null,
      '?5',
      null,
      '$b',
    ]);
  });
});
