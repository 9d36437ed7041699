import type { Context, Hono } from 'hono';
import { asc } from 'drizzle-orm';
import { displayClientTypes, failoverModes } from '../../../db/enums';
import { displayClients } from '../../../db/schema';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { Field, FormError, PostForm, Select, Table, TextArea } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices, type Choices } from '../read/catalog';
import { mountRecordCreation } from '../record-pages';
import { render } from '../render';
import { noProblems, type Problems } from '../view/form-problems';
import { displayClientFromForm, displayClientLabels, jsonText } from '../view/record-forms';

export interface DisplayClientValues {
  name?: string;
  type?: string;
  failoverMode?: string;
  settings?: Record<string, unknown> | null;
  terminalServerIds?: string[];
}

export const failoverText: Record<(typeof failoverModes)[number], string> = {
  none: 'none: the first server only',
  failover: 'failover: the next server when one fails',
  'instant-failover': 'instant failover: sessions kept ready on the next server',
};

/** A display client's own fields; its terminal servers are chosen apart (in order). */
export const DisplayClientFields = ({ values, problems }: { values: DisplayClientValues; problems: Problems }) => (
  <>
    <Field name="name" label="Name" value={values.name} problems={problems} required />
    <Select name="type" label="Type" value={values.type ?? 'rdp'} options={displayClientTypes.map((t) => ({ value: t, label: t }))} problems={problems} />
    <Select name="failoverMode" label="Failover" value={values.failoverMode ?? 'failover'} options={failoverModes.map((m) => ({ value: m, label: failoverText[m] }))} problems={problems} />
    <TextArea name="settings" label="Settings (JSON object)" value={jsonText(values.settings)} problems={problems} hint='Passed to the client as they are, e.g. {"domain": "PLANT", "fullscreen": true}.' />
  </>
);

/** Terminal servers to list, as checkboxes: the order can be changed once the client exists. */
const ServerChoices = ({ choices, chosen, problems }: { choices: Choices; chosen: string[]; problems: Problems }) => {
  const error = problems.fields.terminalServerIds;
  return (
    <fieldset aria-describedby={error ? 'terminalServerIds-error' : undefined}>
      <legend>Terminal servers (in this order; reorder them once created)</legend>
      {choices.terminalServers.length === 0 ? <p class="muted">No terminal servers yet: create them first.</p> : null}
      {choices.terminalServers.map((s) => (
        <div class="field checkbox">
          <input type="checkbox" id={`server-${s.id}`} name="terminalServerIds" value={s.id} checked={chosen.includes(s.id)} />
          <label for={`server-${s.id}`}>
            {s.name} ({s.host}:{s.port})
          </label>
        </div>
      ))}
      {error ? (
        <p class="error" id="terminalServerIds-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
};

async function showClients(c: Context<DashboardEnv>, values: DisplayClientValues, problems: Problems, status = 200) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const [clients, choices] = await Promise.all([orm.select().from(displayClients).orderBy(asc(displayClients.name)).all(), readChoices(orm)]);
  const servers = new Map(choices.terminalServers.map((s) => [s.id, s]));
  return render(
    c,
    <Page title="Display clients" section="/dashboard/display-clients" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <Table caption="Display clients" captionHidden head={['Name', 'Type', 'Failover', 'Terminal servers, in order']} rows={clients.length} empty="No display clients yet.">
        {clients.map((d) => (
          <tr>
            <td>
              <a href={`/dashboard/display-clients/${d.id}`}>{d.name}</a>
            </td>
            <td>{d.type}</td>
            <td>{d.failoverMode}</td>
            <td>{d.terminalServerIds.map((id) => servers.get(id)?.name ?? 'a server that no longer exists here').join(' → ')}</td>
          </tr>
        ))}
      </Table>
      {viewer.may(access.configure) ? (
        <section aria-labelledby="new-client-heading">
          <h2 id="new-client-heading">New display client</h2>
          <PostForm viewer={viewer} action="/dashboard/display-clients" label="New display client">
            <FormError message={problems.form} />
            <DisplayClientFields values={values} problems={problems} />
            <ServerChoices choices={choices} chosen={values.terminalServerIds ?? []} problems={problems} />
            <button type="submit">Create display client</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    status,
  );
}

/** Display clients: what a terminal runs, and the terminal servers it connects to in failover order. */
export function mountDisplayClients(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/display-clients', access: access.read }, (c) => showClients(c, {}, noProblems));

  mountRecordCreation(app, table, { entity: 'display-client', path: '/dashboard/display-clients', read: displayClientFromForm, labels: displayClientLabels }, showClients);
}
