import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import { wrapDatabase } from '../db/database';
import { embeddedMigrations } from '../db/embedded-migrations';
import { migrateEmbedded } from '../db/migrate-embedded';
import * as schema from '../db/schema';
import { createApp, type TandemApp } from './app';
import { appDepsFrom } from './deps';
import { DomainError } from './domain/errors';
import { problemResponse } from './http/problem';
import { jsonLogger } from './log';
import { bootstrapAdminToken, bootstrapPeerToken } from './services/tokens';
import { handlerSettings } from './settings';

/** The bindings of wrangler.toml: vars per environment, the rest as `wrangler secret put`. */
export interface Env {
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  TANDEM_SERVER_ID?: string;
  TANDEM_ROLE?: string;
  TANDEM_ADMIN_TOKEN?: string;
  TANDEM_PEER_URL?: string;
  TANDEM_PEER_TOKEN?: string;
  TANDEM_SYNC_BATCH?: string;
  TANDEM_LICENSE_PUBLIC_KEY?: string;
  /** "1": a demo system, which trusts the published demo licence key; never in production. */
  TANDEM_DEMO?: string;
  TANDEM_LEASE_TTL_SECONDS?: string;
  TANDEM_LICENSE_GRACE_DAYS?: string;
}

// One app per isolate, built on its first request (Workers allow no I/O at start-up): the
// database client, migrations and the bootstrap token, then the same createApp as on Node.
// A failed start is forgotten so that the next request tries again.
let started: Promise<TandemApp> | undefined;

async function start(env: Env): Promise<TandemApp> {
  const settings = handlerSettings({ ...env, DATABASE_URL: databaseUrlOf(env) });
  const log = jsonLogger({ component: 'handler', runtime: 'workers', serverId: settings.serverId });
  const client = createClient({ url: settings.databaseUrl, authToken: settings.databaseAuthToken });
  await migrateEmbedded(client, embeddedMigrations);
  const db = wrapDatabase(drizzle(client, { schema }), client, embeddedMigrations.length);
  if (settings.adminToken) {
    await bootstrapAdminToken(db, settings.serverId, new Date(), settings.adminToken);
  } else {
    // A token created here could only be shown in the logs: ask for one instead.
    log({ level: 'warn', msg: 'TANDEM_ADMIN_TOKEN is not set: no bootstrap admin token; set it with `wrangler secret put TANDEM_ADMIN_TOKEN`' });
  }
  if (settings.peerToken) await bootstrapPeerToken(db, settings.serverId, new Date(), settings.peerToken);
  for (const warning of settings.warnings) log({ level: 'warn', msg: warning });
  log({ msg: 'started', role: settings.role });
  return createApp(appDepsFrom(settings, db, log));
}

function databaseUrlOf(env: Env): string {
  const url = env.DATABASE_URL ?? '';
  if (!/^(libsql|https?):\/\//.test(url)) {
    throw new DomainError(
      503,
      'database_not_configured',
      'DATABASE_URL must be a libsql://, https:// or http:// URL (Turso or sqld); set it with `wrangler secret put DATABASE_URL`.',
    );
  }
  return url;
}

function app(env: Env): Promise<TandemApp> {
  started ??= start(env).catch((err: unknown) => {
    started = undefined;
    throw err;
  });
  return started;
}

export default {
  async fetch(request, env, ctx) {
    let handler: TandemApp;
    try {
      handler = await app(env);
    } catch (err) {
      const detail = err instanceof DomainError ? err.detail : `The handler could not start: ${String((err as Error)?.message ?? err)}`;
      const problem = new DomainError(503, err instanceof DomainError ? err.code : 'start_failed', detail);
      jsonLogger({ component: 'handler', runtime: 'workers' })({ level: 'error', msg: 'start failed', code: problem.code, detail: problem.detail });
      return problemResponse(problem, new URL(request.url).pathname);
    }
    return handler.fetch(request, env, ctx);
  },

  async scheduled(_controller, env, ctx) {
    // The cron trigger of wrangler.toml: the periodic safety net of peer synchronisation
    // (mirrored: the secondary pulls from the primary; full: each pulls from the other).
    ctx.waitUntil((await app(env)).services.sync.requestPull());
  },
} satisfies ExportedHandler<Env>;
