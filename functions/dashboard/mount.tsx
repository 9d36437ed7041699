import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../deps';
import { access } from '../domain/roles';
import { keepRunning } from '../http/background';
import type { AppEnv } from '../http/context';
import { problemResponse, toDomainError } from '../http/problem';
import type { RouteTable } from '../http/route';
import type { Services } from '../services/services';
import { SCRIPT_PATH, STYLE_PATH } from './assets/paths';
import { script } from './assets/script';
import { stylesheet } from './assets/style';
import type { DashboardEnv } from './context';
import { declarePage } from './page-route';
import { mountDisplayClient } from './pages/display-client';
import { mountEvents } from './pages/events';
import { mountFirmware } from './pages/firmware';
import { mountHistory } from './pages/history';
import { mountLicense } from './pages/license';
import { mountRedundancy } from './pages/redundancy';
import { mountTokens } from './pages/tokens';
import { mountDisplayClients } from './pages/display-clients';
import { mountGroup } from './pages/group';
import { mountGroups } from './pages/groups';
import { mountOverview } from './pages/overview';
import { mountPending } from './pages/pending';
import { mountTerminal } from './pages/terminal';
import { mountTerminalNew } from './pages/terminal-new';
import { mountTerminalServer } from './pages/terminal-server';
import { mountTerminalServers } from './pages/terminal-servers';
import { mountTerminalList } from './pages/terminals';
import { mountSignIn } from './pages/sign-in';
import { listChoices } from './read/catalog';
import { overviewFigures } from './read/overview';
import { RefusalPage } from './refusal';
import { render } from './render';

/** Pages load only what this server serves: no inline script or style, no framing. */
const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  referrerPolicy: 'same-origin',
});

/**
 * The admin dashboard: server-rendered pages under /dashboard on the same app as the API, calling
 * the same services (functions/dashboard/pages/, one file per page).
 */
export function mountDashboard(app: OpenAPIHono<AppEnv>, table: RouteTable, deps: AppDeps, services: Services): void {
  const dashboard = new Hono<DashboardEnv>();
  dashboard.use('/dashboard', headers);
  dashboard.use('/dashboard/*', headers);
  // A write pokes the peer; on Workers the poke outlives the response through waitUntil (as for the API).
  dashboard.use('/dashboard/*', async (c, next) => {
    await next();
    keepRunning(c, services.sync.pendingWork());
  });

  const asset = (path: string, type: string, body: string) => {
    const tag = contentTag(body);
    declarePage(dashboard, table, { method: 'get', path, access: access.public }, (c) =>
      c.req.header('if-none-match') === tag ? c.body(null, 304, { etag: tag }) : c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache', etag: tag }),
    );
  };
  asset(STYLE_PATH, 'text/css; charset=utf-8', stylesheet);
  asset(SCRIPT_PATH, 'text/javascript; charset=utf-8', script);

  mountSignIn(dashboard, table);
  mountOverview(dashboard, table, overviewFigures(deps, services));
  mountTerminalList(dashboard, table, listChoices(deps.db));
  // Before /terminals/{id}, which would take "new" for an id.
  mountTerminalNew(dashboard, table);
  mountTerminal(dashboard, table);
  mountPending(dashboard, table);
  mountGroups(dashboard, table);
  mountGroup(dashboard, table);
  mountDisplayClients(dashboard, table);
  mountDisplayClient(dashboard, table);
  mountTerminalServers(dashboard, table);
  mountTerminalServer(dashboard, table);
  mountFirmware(dashboard, table);
  mountLicense(dashboard, table);
  mountRedundancy(dashboard, table);
  mountHistory(dashboard, table);
  mountEvents(dashboard, table);
  mountTokens(dashboard, table);

  dashboard.onError((err, c) => {
    const problem = toDomainError(err);
    if (problem.status >= 500) c.var.deps.log({ level: 'error', msg: 'dashboard request failed', path: c.req.path, error: String((err as Error)?.stack ?? err) });
    // The upload script reads a problem document; a browser gets a page with the sentence.
    if (/application\/json/.test(c.req.header('accept') ?? '')) return problemResponse(problem, c.req.path);
    return render(c, <RefusalPage c={c} error={problem} />, problem.status);
  });
  app.route('/', dashboard);
}

/** A strong ETag of a served text (FNV-1a): it changes when the text does. */
function contentTag(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `"${hash.toString(16)}-${text.length}"`;
}
