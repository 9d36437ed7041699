import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../db/client';
import type { Database } from '../../db/database';
import { createApp, type AppDeps } from '../../functions/app';
import { appDepsFrom } from '../../functions/deps';
import { bootstrapAdminToken } from '../../functions/services/tokens';
import { handlerSettings } from '../../functions/settings';
import { jsonClient } from './json-client';

/** How a test's database file is opened: as this release opens it, unless a test plays another release. */
export type OpenTestDatabase = (url: string) => Promise<Database>;

/**
 * The handler app on a real libSQL file in a temp folder, driven through
 * `app.request` without a socket: for tests that walk many routes quickly.
 */
export async function inProcessHandler(overrides: Partial<AppDeps> = {}, open: OpenTestDatabase = openDatabase) {
  return inProcessApp((db) => ({ db, serverId: 'primary', role: 'primary', now: () => new Date(), log: () => {}, ...overrides }), open);
}

/**
 * The same, with the deps a Node handler builds from its environment (handlerSettings,
 * appDepsFrom), and `overrides` on top: a setting read as in production, under a test clock.
 */
export async function inProcessHandlerFromEnv(env: Record<string, string>, overrides: Partial<AppDeps> = {}) {
  const settings = handlerSettings(env);
  return inProcessApp((db) => ({ ...appDepsFrom(settings, db, () => {}), ...overrides }));
}

async function inProcessApp(depsFor: (db: Database) => AppDeps, open: OpenTestDatabase = openDatabase) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-app-'));
  const db = await open(`file:${join(dir, 'test.db')}`);
  const adminToken = 'tdm_in_process_admin';
  await bootstrapAdminToken(db, 'primary', new Date(), adminToken);
  const app = createApp(depsFor(db));
  const request = jsonClient((path, init) => app.request(path, init));
  return { app, db, dir, adminToken, request, close: () => db.close() };
}
