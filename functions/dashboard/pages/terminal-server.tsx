import type { Context, Hono } from 'hono';
import type { TerminalServer } from '../../../db/schema';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { knownEntity } from '../../services/entities';
import { findRecord } from '../../services/write-record';
import { requireFound } from '../actions';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { mountRecordEditing, RecordEditor, type EditState } from '../record-pages';
import { render } from '../render';
import { noProblems } from '../view/form-problems';
import { terminalServerFromForm, terminalServerLabels } from '../view/record-forms';
import { TerminalServerFields, type TerminalServerValues } from './terminal-servers';

async function showServer(c: Context<DashboardEnv>, id: string, state: EditState<TerminalServerValues> = {}) {
  const { deps, viewer } = c.var;
  const server = requireFound((await findRecord(deps.db.orm, knownEntity('terminal-server'), id)) as TerminalServer | null, 'terminal server', id);
  const problems = state.problems ?? noProblems;
  return render(
    c,
    <Page title={`Terminal server ${server.name}`} section="/dashboard/terminal-servers" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <p>
        <code>
          {server.host}:{server.port}
        </code>
        , {server.enabled ? 'enabled' : 'disabled'}.
      </p>
      {viewer.may(access.configure) ? (
          <RecordEditor viewer={viewer} path={`/dashboard/terminal-servers/${id}`} noun="terminal server" version={server.version} problems={problems} deleteError={state.deleteError} deleteNote="Only a server no display client lists can be deleted.">
            <TerminalServerFields values={state.values ?? server} problems={problems} />
          </RecordEditor>
      ) : null}
    </Page>,
    state.status ?? 200,
  );
}

/** A terminal server: edit, delete. */
export function mountTerminalServer(app: Hono<DashboardEnv>, table: RouteTable): void {
  const path = '/dashboard/terminal-servers/{id}';
  declarePage(app, table, { method: 'get', path, access: access.read }, (c) => showServer(c, c.req.param('id')!));

  mountRecordEditing(app, table, { entity: 'terminal-server', path: '/dashboard/terminal-servers', read: terminalServerFromForm, labels: terminalServerLabels }, showServer);
}
