// A Hrana-over-HTTP server (protocol version 2, JSON) backed by a libSQL file: a local stand-in for
// Turso or sqld, for tests only. It speaks what `@libsql/client/web` 0.18 sends over `http://`:
// `POST /v2/pipeline` with `execute`, `batch` (with conditions), `sequence`, `describe`,
// `store_sql`, `close_sql`, `get_autocommit` and `close`, and batons for interactive transactions.
// Reference: tursodatabase/libsql docs/HRANA_3_SPEC.md and libsql-server/src/hrana.
//
// Each stream gets its own connection, as in sqld. The libSQL binding is synchronous, so one
// pipeline runs to its end before another starts. A stream that ends a request inside a
// transaction owns the database until it commits, rolls back, closes or expires: requests of
// other streams wait for it instead of failing with SQLITE_BUSY (or, with a busy timeout,
// blocking the event loop that the owner needs to commit). This serialises everything, which a
// test stand-in can afford; it also means that code which, inside a transaction, waits for a
// query on another stream waits until the transaction expires.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'libsql';

export interface HranaServerOptions {
  /** Path of the libSQL database file (created if missing). */
  file: string;
  /** TCP port on 127.0.0.1; 0 or unset picks a free one. */
  port?: number;
  /** If set, every request must carry `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** An idle stream is rolled back and closed after this long (sqld: 10 s). */
  streamIdleMs?: number;
}

export interface HranaServer {
  /** `http://127.0.0.1:<port>`, usable as a libSQL URL. */
  url: string;
  close(): Promise<void>;
}

type Connection = InstanceType<typeof Database>;

type Value =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string };

interface Stmt {
  sql?: string | null;
  sql_id?: number | null;
  args?: Value[];
  named_args?: { name: string; value: Value }[];
  want_rows?: boolean;
}

type BatchCond =
  | { type: 'ok'; step: number }
  | { type: 'error'; step: number }
  | { type: 'not'; cond: BatchCond }
  | { type: 'and'; conds: BatchCond[] }
  | { type: 'or'; conds: BatchCond[] }
  | { type: 'is_autocommit' };

type StreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: Stmt }
  | { type: 'batch'; batch: { steps: { condition?: BatchCond | null; stmt: Stmt }[] } }
  | { type: 'sequence' | 'describe'; sql?: string | null; sql_id?: number | null }
  | { type: 'store_sql'; sql_id: number; sql: string }
  | { type: 'close_sql'; sql_id: number }
  | { type: 'get_autocommit' };

interface StmtResult {
  cols: { name: string | null; decltype: string | null }[];
  rows: Value[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

interface HranaError {
  message: string;
  code: string;
}

interface Stream {
  db: Connection | undefined;
  sqls: Map<number, string>;
  idleTimer: NodeJS.Timeout | undefined;
}

/** The client sent something the protocol does not allow: the whole request fails with a 400. */
class ProtocolError extends Error {}

/** A statement or request failed: reported in its result, the stream carries on. */
class StatementError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const maxStoredSqls = 50;
const maxStoredSqlBytes = 5000;
const maxBodyBytes = 16 * 1024 * 1024;

export async function startHranaServer(options: HranaServerOptions): Promise<HranaServer> {
  const streamIdleMs = options.streamIdleMs ?? 10_000;
  const streams = new Map<string, Stream>(); // baton → stream that is waiting for its next request
  const expiredBatons = new Set<string>();
  let owner: Stream | undefined; // the stream holding an open transaction
  let ownerReleased: (() => void)[] = [];
  let closed = false;

  const bootstrap = new Database(options.file);
  bootstrap.exec('PRAGMA journal_mode=WAL');
  bootstrap.close();

  const releaseOwnership = (stream: Stream) => {
    if (owner !== stream) return;
    owner = undefined;
    const waiting = ownerReleased;
    ownerReleased = [];
    for (const wake of waiting) wake();
  };

  const closeStream = (stream: Stream) => {
    clearTimeout(stream.idleTimer);
    if (stream.db?.open) {
      if (stream.db.inTransaction) stream.db.exec('ROLLBACK');
      stream.db.close();
    }
    stream.db = undefined;
    releaseOwnership(stream);
  };

  const park = (stream: Stream): string => {
    const baton = randomBytes(32).toString('base64url');
    streams.set(baton, stream);
    stream.idleTimer = setTimeout(() => {
      streams.delete(baton);
      expiredBatons.add(baton);
      closeStream(stream);
    }, streamIdleMs);
    stream.idleTimer.unref();
    return baton;
  };

  const acquire = (baton: string | null | undefined): Stream => {
    if (baton === null || baton === undefined) {
      return { db: new Database(options.file), sqls: new Map(), idleTimer: undefined };
    }
    if (typeof baton !== 'string') throw new ProtocolError('The baton must be a string or null');
    const stream = streams.get(baton);
    if (stream === undefined) {
      if (expiredBatons.has(baton)) throw new StreamExpired();
      throw new ProtocolError('Invalid baton');
    }
    streams.delete(baton); // a baton is good for one request
    clearTimeout(stream.idleTimer);
    return stream;
  };

  const pipeline = async (body: unknown): Promise<unknown> => {
    if (!isObject(body) || !Array.isArray(body.requests)) {
      throw new ProtocolError('The body must be an object with a "requests" array');
    }
    const stream = acquire(body.baton as string | null | undefined);
    try {
      while (owner !== undefined && owner !== stream) {
        await new Promise<void>((resolve) => ownerReleased.push(resolve));
        if (closed) throw new Error('The server is closing');
      }
      const results = (body.requests as StreamRequest[]).map((request) => {
        try {
          return { type: 'ok', response: handleRequest(stream, request) };
        } catch (error) {
          if (error instanceof StatementError) {
            return { type: 'error', error: { message: error.message, code: error.code } satisfies HranaError };
          }
          throw error;
        }
      });
      if (stream.db === undefined) {
        releaseOwnership(stream);
        return { baton: null, base_url: null, results };
      }
      if (stream.db.inTransaction) owner = stream;
      else releaseOwnership(stream);
      return { baton: park(stream), base_url: null, results };
    } catch (error) {
      closeStream(stream);
      throw error;
    }
  };

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, 'text/plain', String(error));
      else res.destroy();
    });
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (options.authToken !== undefined && !bearerMatches(req.headers.authorization, options.authToken)) {
      return reply(res, 401, 'text/plain', 'Unauthorized');
    }
    if (req.method === 'GET' && (path === '/' || path === '/v2')) {
      return reply(res, 200, 'text/plain', 'Hello, this is HTTP API v2 (Hrana over HTTP)');
    }
    if (path === '/v2/pipeline') {
      if (req.method !== 'POST') return reply(res, 405, 'text/plain', 'Method not allowed');
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        return reply(res, 400, 'text/plain', `Could not deserialize JSON request body: ${String(error)}`);
      }
      try {
        return reply(res, 200, 'application/json', JSON.stringify(await pipeline(body)));
      } catch (error) {
        if (error instanceof ProtocolError) return reply(res, 400, 'text/plain', error.message);
        if (error instanceof StreamExpired) {
          const expired: HranaError = { message: error.message, code: 'STREAM_EXPIRED' };
          return reply(res, 500, 'application/json', JSON.stringify(expired));
        }
        throw error;
      }
    }
    // v3 (JSON and Protobuf) is not spoken here: a client probing for it falls back to v2.
    return reply(res, 404, 'text/plain', 'Not found');
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      closed = true;
      for (const stream of streams.values()) closeStream(stream);
      if (owner !== undefined) closeStream(owner);
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

class StreamExpired extends Error {
  constructor() {
    super('The stream has expired due to inactivity');
  }
}

function handleRequest(stream: Stream, request: StreamRequest): unknown {
  if (!isObject(request)) throw new ProtocolError('A stream request must be an object');
  const db = (): Connection => {
    if (stream.db === undefined) throw new ProtocolError('The stream has already been closed');
    return stream.db;
  };
  switch (request.type) {
    case 'close':
      if (stream.db?.inTransaction) stream.db.exec('ROLLBACK');
      stream.db?.close();
      stream.db = undefined;
      return { type: 'close' };
    case 'execute':
      return { type: 'execute', result: executeStmt(db(), stream.sqls, request.stmt) };
    case 'batch':
      return { type: 'batch', result: executeBatch(db(), stream.sqls, request.batch) };
    case 'sequence': {
      const sql = sqlOf(stream.sqls, request);
      try {
        db().exec(sql);
      } catch (error) {
        throw sqliteError(error);
      }
      return { type: 'sequence' };
    }
    case 'describe':
      return { type: 'describe', result: describe(db(), sqlOf(stream.sqls, request)) };
    case 'store_sql': {
      if (stream.sqls.has(request.sql_id)) throw new ProtocolError(`SQL text ${request.sql_id} is already stored`);
      if (stream.sqls.size >= maxStoredSqls) {
        throw new StatementError(
          `The server already stores ${stream.sqls.size} SQL texts, it cannot store more`,
          'SQL_STORE_TOO_MANY',
        );
      }
      if (Buffer.byteLength(request.sql) > maxStoredSqlBytes) {
        throw new StatementError('The statement is too large to be stored', 'SQL_STORE_TOO_LARGE');
      }
      stream.sqls.set(request.sql_id, request.sql);
      return { type: 'store_sql' };
    }
    case 'close_sql':
      stream.sqls.delete(request.sql_id);
      return { type: 'close_sql' };
    case 'get_autocommit':
      // Hrana 3 only, but harmless to answer.
      return { type: 'get_autocommit', is_autocommit: !db().inTransaction };
    default:
      throw new ProtocolError(`Unknown stream request type ${JSON.stringify((request as { type: unknown }).type)}`);
  }
}

function executeBatch(
  db: Connection,
  sqls: Map<number, string>,
  batch: { steps: { condition?: BatchCond | null; stmt: Stmt }[] },
) {
  const stepResults: (StmtResult | null)[] = [];
  const stepErrors: (HranaError | null)[] = [];
  const holds = (cond: BatchCond): boolean => {
    switch (cond.type) {
      case 'ok':
        return stepResults[cond.step] != null;
      case 'error':
        return stepErrors[cond.step] != null;
      case 'not':
        return !holds(cond.cond);
      case 'and':
        return cond.conds.every(holds);
      case 'or':
        return cond.conds.some(holds);
      case 'is_autocommit':
        return !db.inTransaction;
      default:
        throw new ProtocolError(`Unknown batch condition ${JSON.stringify(cond)}`);
    }
  };
  for (const step of batch.steps) {
    let result: StmtResult | null = null;
    let error: HranaError | null = null;
    if (step.condition == null || holds(step.condition)) {
      try {
        result = executeStmt(db, sqls, step.stmt);
      } catch (e) {
        if (!(e instanceof StatementError)) throw e;
        error = { message: e.message, code: e.code };
      }
    }
    stepResults.push(result);
    stepErrors.push(error);
  }
  return { step_results: stepResults, step_errors: stepErrors };
}

function executeStmt(db: Connection, sqls: Map<number, string>, stmt: Stmt): StmtResult {
  const sql = sqlOf(sqls, stmt);
  const args = bindArgs(sql, stmt);
  const totalChangesBefore = counters(db).total;
  try {
    const prepared = db.prepare(sql);
    prepared.safeIntegers(true);
    let cols: StmtResult['cols'] = [];
    let rows: Value[][] = [];
    if (prepared.reader) {
      prepared.raw(true);
      cols = prepared.columns().map((col) => ({ name: col.name, decltype: col.type }));
      const raw = prepared.all(args) as unknown[][];
      if (stmt.want_rows !== false) rows = raw.map((row) => row.map(valueToProto));
    } else {
      prepared.run(args);
    }
    const after = counters(db);
    return {
      cols,
      rows,
      // changes() keeps the count of the last INSERT/UPDATE/DELETE: only report it if this one changed rows.
      affected_row_count: after.total === totalChangesBefore ? 0 : Number(after.changes),
      last_insert_rowid: String(after.lastInsertRowid),
    };
  } catch (error) {
    throw sqliteError(error);
  }
}

function counters(db: Connection) {
  const [changes, lastInsertRowid, total] = db
    .prepare('SELECT changes(), last_insert_rowid(), total_changes()')
    .safeIntegers(true)
    .raw(true)
    .get() as [bigint, bigint, bigint];
  return { changes, lastInsertRowid, total };
}

function describe(db: Connection, sql: string) {
  // The binding exposes neither parameter names nor read-only-ness; EXPLAIN gives both cheaply
  // enough for a test server: OP_Variable carries the parameter number, and a statement that
  // writes opens a write transaction (OP_Transaction with P2 != 0).
  try {
    const prepared = db.prepare(sql);
    const cols = prepared.reader
      ? prepared.columns().map((col) => ({ name: col.name, decltype: col.type }))
      : [];
    const isExplain = /^\s*explain\b/i.test(sql);
    const params = parameterNames(sql).map((name) => ({ name }));
    const program = isExplain ? [] : (db.prepare(`EXPLAIN ${sql}`).raw(true).all() as unknown[][]);
    const isReadonly = !program.some((op) => op[1] === 'Transaction' && Number(op[3]) !== 0);
    return { params, cols, is_explain: isExplain, is_readonly: isReadonly };
  } catch (error) {
    throw sqliteError(error);
  }
}

function sqlOf(sqls: Map<number, string>, source: { sql?: string | null; sql_id?: number | null }): string {
  const hasSql = source.sql !== undefined && source.sql !== null;
  const hasId = source.sql_id !== undefined && source.sql_id !== null;
  if (hasSql && hasId) throw new ProtocolError('Both "sql" and "sql_id" were given');
  if (hasSql) return source.sql as string;
  if (!hasId) throw new ProtocolError('Neither "sql" nor "sql_id" was given');
  const sql = sqls.get(source.sql_id as number);
  if (sql === undefined) throw new ProtocolError(`SQL text ${source.sql_id} was not found`);
  return sql;
}

function bindArgs(sql: string, stmt: Stmt): unknown[] | Record<string, unknown> {
  const positional = stmt.args ?? [];
  const named = stmt.named_args ?? [];
  if (named.length === 0) return positional.map(valueFromProto);
  if (positional.length > 0) {
    throw new StatementError(
      'Specifying both positional and named arguments is not supported',
      'ARGS_BOTH_POSITIONAL_AND_NAMED',
    );
  }
  // The binding takes named values as an object keyed by bare names, and aborts the process when
  // a parameter of the statement has no value: check every parameter first.
  const values = new Map(named.map((arg) => [arg.name.replace(/^[:@$]/, ''), valueFromProto(arg.value)]));
  const bound: Record<string, unknown> = {};
  for (const name of parameterNames(sql)) {
    if (name === null || /^\?/.test(name)) {
      throw new StatementError('Arguments do not match SQL parameters: positional parameter without a value', 'ARGS_INVALID');
    }
    const bare = name.slice(1);
    if (!values.has(bare)) {
      throw new StatementError(`Arguments do not match SQL parameters: missing value for ${name}`, 'ARGS_INVALID');
    }
    bound[bare] = values.get(bare);
  }
  return bound;
}

/**
 * The parameters of a statement in SQLite's numbering (index 0 is parameter 1): the name with its
 * prefix (`:a`, `@a`, `$a`, `?3`), or null for a bare `?`. Skips literals, quoted identifiers and
 * comments. Tcl-style `$a::b(c)` names are not recognised.
 */
export function parameterNames(sql: string): (string | null)[] {
  const params: (string | null)[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = sql.indexOf(c, i + 1);
      i = end === -1 ? sql.length : end + 1; // a doubled quote is two adjacent literals: same skip
    } else if (c === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === '?') {
      const digits = /^\d*/.exec(sql.slice(i + 1))![0];
      if (digits === '') params.push(null);
      else params[Number(digits) - 1] = `?${digits}`;
      i += 1 + digits.length;
    } else if ((c === ':' || c === '@' || c === '$') && /\w/.test(sql[i + 1] ?? '') && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const name = c + /^\w+/.exec(sql.slice(i + 1))![0];
      if (!params.includes(name)) params.push(name);
      i += name.length;
    } else {
      i += 1;
    }
  }
  return Array.from(params, (name) => name ?? null);
}

function valueFromProto(value: Value): unknown {
  switch (value?.type) {
    case 'null':
      return null;
    case 'integer':
      return BigInt(value.value);
    case 'float':
      return Number(value.value);
    case 'text':
      return value.value;
    case 'blob':
      return Buffer.from(value.base64, 'base64');
    default:
      throw new ProtocolError(`Unknown value ${JSON.stringify(value)}`);
  }
}

function valueToProto(value: unknown): Value {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  if (typeof value === 'number') return { type: 'float', value };
  if (typeof value === 'string') return { type: 'text', value };
  if (value instanceof Uint8Array) return { type: 'blob', base64: Buffer.from(value).toString('base64') };
  throw new Error(`Unexpected value from the database: ${String(value)}`);
}

// sqld reports a SQLite failure with the primary result code's name, as rusqlite names it
// (SQLITE_ERROR, the generic one, comes out as SQLITE_UNKNOWN).
const primaryCodeNames: Record<number, string> = {
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

function sqliteError(error: unknown): StatementError {
  if (error instanceof StatementError) return error;
  const rawCode = (error as { rawCode?: unknown }).rawCode;
  const code = typeof rawCode === 'number' ? (primaryCodeNames[rawCode & 0xff] ?? 'SQLITE_UNKNOWN') : 'SQLITE_UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  return new StatementError(`SQLite error: ${message}`, code);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, contentType: string, body: string) {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
