import type { Context, Hono } from 'hono';
import { asc } from 'drizzle-orm';
import { displayClients, terminalServers } from '../../../db/schema';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { Checkbox, Field, FormError, PostForm, Table } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { mountRecordCreation } from '../record-pages';
import { render } from '../render';
import { noProblems, type Problems } from '../view/form-problems';
import { withNotice } from '../view/notices';
import { terminalServerFromForm, terminalServerLabels } from '../view/record-forms';

export interface TerminalServerValues {
  name?: string;
  host?: string;
  port?: number | string;
  enabled?: boolean;
}

/** A terminal server's fields. */
export const TerminalServerFields = ({ values, problems }: { values: TerminalServerValues; problems: Problems }) => (
  <>
    <Field name="name" label="Name" value={values.name} problems={problems} required />
    <Field name="host" label="Host" value={values.host} problems={problems} required hint="A host name or an IP address." />
    <Field name="port" label="Port" value={values.port ?? 3389} problems={problems} inputmode="numeric" />
    <Checkbox name="enabled" label="Enabled (a disabled server is left out of every terminal's list)" checked={values.enabled ?? true} problems={problems} />
  </>
);

async function showServers(c: Context<DashboardEnv>, values: TerminalServerValues, problems: Problems, status = 200) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const [servers, clients] = await Promise.all([
    orm.select().from(terminalServers).orderBy(asc(terminalServers.name)).all(),
    orm.select({ id: displayClients.id, name: displayClients.name, terminalServerIds: displayClients.terminalServerIds }).from(displayClients).all(),
  ]);
  return render(
    c,
    <Page title="Terminal servers" section="/dashboard/terminal-servers" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <Table caption="Terminal servers" captionHidden head={['Name', 'Address', 'Enabled', 'Listed by']} rows={servers.length} empty="No terminal servers yet.">
        {servers.map((s) => (
          <tr>
            <td>
              <a href={`/dashboard/terminal-servers/${s.id}`}>{s.name}</a>
            </td>
            <td>
              <code>
                {s.host}:{s.port}
              </code>
            </td>
            <td>{s.enabled ? 'yes' : 'no'}</td>
            <td>
              {clients
                .filter((d) => d.terminalServerIds.includes(s.id))
                .map((d, i) => (
                  <>
                    {i ? ', ' : ''}
                    <a href={`/dashboard/display-clients/${d.id}`}>{d.name}</a>
                  </>
                ))}
            </td>
          </tr>
        ))}
      </Table>
      {viewer.may(access.configure) ? (
        <section aria-labelledby="new-server-heading">
          <h2 id="new-server-heading">New terminal server</h2>
          <PostForm viewer={viewer} action="/dashboard/terminal-servers" label="New terminal server">
            <FormError message={problems.form} />
            <TerminalServerFields values={values} problems={problems} />
            <button type="submit">Create terminal server</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    status,
  );
}

/** Terminal servers: the remote-desktop hosts display clients list in failover order. */
export function mountTerminalServers(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/terminal-servers', access: access.read }, (c) => showServers(c, {}, noProblems));

  mountRecordCreation(app, table, { entity: 'terminal-server', path: '/dashboard/terminal-servers', read: terminalServerFromForm, labels: terminalServerLabels }, showServers, () => withNotice('/dashboard/terminal-servers', 'terminal-server-created'));
}
