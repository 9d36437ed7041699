import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../db/client';
import { createApp, type AppDeps } from '../../functions/app';
import { bootstrapAdminToken } from '../../functions/services/tokens';
import { jsonClient } from './json-client';

/**
 * The handler app on a real libSQL file in a temp folder, driven through
 * `app.request` without a socket: for tests that walk many routes quickly.
 */
export async function inProcessHandler(overrides: Partial<AppDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-app-'));
  const db = await openDatabase(`file:${join(dir, 'test.db')}`);
  const adminToken = 'tdm_in_process_admin';
  await bootstrapAdminToken(db, 'primary', new Date(), adminToken);
  const app = createApp({ db, serverId: 'primary', role: 'primary', now: () => new Date(), log: () => {}, ...overrides });
  const request = jsonClient((path, init) => app.request(path, init));
  return { app, db, dir, adminToken, request, close: () => db.close() };
}
