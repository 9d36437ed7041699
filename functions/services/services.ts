import type { AppDeps } from '../deps';
import { SyncEngine } from '../sync/engine';
import { BootDocuments } from './boot-documents';
import { DashboardSessions } from './dashboard-sessions';
import { FailedAuthentications } from './failed-authentications';
import { Licensing } from './license';
import { ServerIdentityStore } from './server-identity';
import { TokenAuthenticator } from './token-auth';

/** The handler's stateful parts, each built once per app and handed to the routes. */
export interface Services {
  identity: ServerIdentityStore;
  licensing: Licensing;
  bootDocuments: BootDocuments;
  tokens: TokenAuthenticator;
  failedAuthentications: FailedAuthentications;
  sync: SyncEngine;
  /** Dashboard sign-ins: an API token exchanged for a session cookie. */
  sessions: DashboardSessions;
}

export function createServices(deps: AppDeps): Services {
  const identity = new ServerIdentityStore(deps.db, deps.now);
  const licensing = new Licensing(deps, identity);
  return {
    identity,
    licensing,
    bootDocuments: new BootDocuments(deps.db, licensing.settings.leaseView),
    tokens: new TokenAuthenticator(deps.db, deps.now),
    failedAuthentications: new FailedAuthentications(deps.now, deps.log),
    sync: new SyncEngine(deps, licensing),
    sessions: new DashboardSessions(deps.db, deps.now),
  };
}
