import type { Context, Hono } from 'hono';
import type { DisplayClient } from '../../../db/schema';
import { DomainError } from '../../domain/errors';
import { redactSecrets } from '../../domain/secrets';
import { access } from '../../domain/roles';
import { checkIfMatch, recordEtag } from '../../http/preconditions';
import type { RouteTable } from '../../http/route';
import { knownEntity } from '../../services/entities';
import { findRecord, updateRecord } from '../../services/write-record';
import { attempt, changeContextOf, requireFound } from '../actions';
import { FormError, PostForm, Select } from '../components';
import type { DashboardEnv, Viewer } from '../context';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices, type Choices } from '../read/catalog';
import { mountRecordEditing, RecordEditor, type EditState } from '../record-pages';
import { render, seeOther } from '../render';
import { changeOrder, type OrderChange } from '../view/failover-order';
import { noProblems } from '../view/form-problems';
import { withNotice } from '../view/notices';
import { displayClientFromForm, displayClientLabels, type FormReading } from '../view/record-forms';
import { DisplayClientFields, failoverText, type DisplayClientValues } from './display-clients';

interface PageState extends EditState<DisplayClientValues> {
  orderError?: string | null;
}

const moveLabel = { up: 'Move up', down: 'Move down' } as const;

/** One move button: a form of its own, so that it works without the script; the script keeps the focus on it. */
const Move = ({ viewer, client, serverId, name, move }: { viewer: Viewer; client: DisplayClient; serverId: string; name: string; move: 'up' | 'down' | 'remove' }) => (
  <PostForm
    viewer={viewer}
    action={`/dashboard/display-clients/${client.id}/order`}
    class="inline"
    label={`${move === 'remove' ? 'Remove' : moveLabel[move]}: ${name}`}
    keepFocus={move === 'remove' ? undefined : `${move}-${serverId} ${move === 'up' ? 'down' : 'up'}-${serverId}`}
  >
    <input type="hidden" name="version" value={String(client.version)} />
    <input type="hidden" name="serverId" value={serverId} />
    <input type="hidden" name="move" value={move} />
    <button
      type="submit"
      class="secondary"
      id={`${move}-${serverId}`}
      data-move={move}
      aria-label={`${move === 'remove' ? 'Remove' : moveLabel[move]}: ${name}`}
      aria-keyshortcuts={move === 'up' ? 'Alt+ArrowUp' : move === 'down' ? 'Alt+ArrowDown' : undefined}
    >
      {move === 'remove' ? 'Remove' : moveLabel[move]}
    </button>
  </PostForm>
);

/** The failover order: the terminal servers in the order a terminal tries them, each movable. */
const FailoverOrder = ({ viewer, client, choices, error }: { viewer: Viewer; client: DisplayClient; choices: Choices; error?: string | null }) => {
  const servers = new Map(choices.terminalServers.map((s) => [s.id, s]));
  const may = viewer.may(access.configure);
  const ids = client.terminalServerIds;
  const unlisted = choices.terminalServers.filter((s) => !ids.includes(s.id));
  return (
    <section aria-labelledby="order-heading" id="failover">
      <h2 id="order-heading">Failover order</h2>
      <p>{failoverText[client.failoverMode]}. A terminal tries the servers from the top; disabled servers are skipped.</p>
      <FormError message={error} />
      {ids.length === 0 ? <p class="muted">No terminal servers listed.</p> : null}
      <ol class="order" aria-label="Terminal servers in failover order">
        {ids.map((id, i) => {
          const server = servers.get(id);
          const name = server?.name ?? 'missing server';
          return (
            <li id={`order-${id}`}>
              {server ? (
                <>
                  <a href={`/dashboard/terminal-servers/${id}`}>{server.name}</a>{' '}
                  <span class="muted">
                    {server.host}:{server.port}
                    {server.enabled ? '' : ', disabled'}
                  </span>
                </>
              ) : (
                <span class="muted">a server that no longer exists here</span>
              )}
              {may ? (
                <span class="moves">
                  {i > 0 ? <Move viewer={viewer} client={client} serverId={id} name={name} move="up" /> : null}
                  {i < ids.length - 1 ? <Move viewer={viewer} client={client} serverId={id} name={name} move="down" /> : null}
                  <Move viewer={viewer} client={client} serverId={id} name={name} move="remove" />
                </span>
              ) : null}
            </li>
          );
        })}
      </ol>
      {may ? (
        <>
          <p class="muted">Keyboard: Alt+Up and Alt+Down move the server whose button has the focus.</p>
          {unlisted.length ? (
            <PostForm viewer={viewer} action={`/dashboard/display-clients/${client.id}/order`} label="Add a terminal server">
              <input type="hidden" name="version" value={String(client.version)} />
              <input type="hidden" name="move" value="add" />
              <Select name="serverId" label="Add a terminal server at the end" options={unlisted.map((s) => ({ value: s.id, label: `${s.name} (${s.host}:${s.port})` }))} />
              <button type="submit">Add to the list</button>
            </PostForm>
          ) : null}
        </>
      ) : null}
    </section>
  );
};

async function showClient(c: Context<DashboardEnv>, id: string, state: PageState = {}) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const client = requireFound((await findRecord(orm, knownEntity('display-client'), id)) as DisplayClient | null, 'display client', id);
  const choices = await readChoices(orm);
  const problems = state.problems ?? noProblems;
  const may = viewer.may(access.configure);
  return render(
    c,
    <Page title={`Display client ${client.name}`} section="/dashboard/display-clients" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <FailoverOrder viewer={viewer} client={client} choices={choices} error={state.orderError} />
      {may ? (
        <section aria-labelledby="edit-heading">
          <h2 id="edit-heading">Edit</h2>
          <RecordEditor viewer={viewer} path={`/dashboard/display-clients/${id}`} noun="display client" version={client.version} problems={problems} deleteError={state.deleteError} deleteNote="Only a display client no terminal or group uses can be deleted.">
            <DisplayClientFields values={state.values ?? client} problems={problems} />
          </RecordEditor>
        </section>
      ) : (
        <p>
          {client.type}, settings <code>{JSON.stringify(redactSecrets('display-client', client).settings)}</code>
        </p>
      )}
    </Page>,
    state.status ?? 200,
  );
}

const orderMoves = ['up', 'down', 'remove', 'add'] as const;

/** A display client: its failover order (move up / down, remove, add), edit, delete. */
export function mountDisplayClient(app: Hono<DashboardEnv>, table: RouteTable): void {
  const path = '/dashboard/display-clients/{id}';
  declarePage(app, table, { method: 'get', path, access: access.read }, (c) => showClient(c, c.req.param('id')!));

  // The order is changed apart (below): the edit form leaves it as it is.
  const keepOrder = (reading: FormReading) => void delete reading.input.terminalServerIds;
  mountRecordEditing(app, table, { entity: 'display-client', path: '/dashboard/display-clients', read: displayClientFromForm, labels: displayClientLabels }, showClient, keepOrder);

  declarePage(app, table, { method: 'post', path: `${path}/order`, access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const form = await formOf(c);
    const move = text(form, 'move') as OrderChange['move'];
    const serverId = text(form, 'serverId');
    const version = Number(text(form, 'version')) || 0;
    const spec = knownEntity('display-client');
    const done = await attempt({}, () =>
      c.var.deps.db.write(async (tx) => {
        const client = requireFound((await findRecord(tx, spec, id)) as DisplayClient | null, 'display client', id);
        checkIfMatch(recordEtag(version), client.version);
        const next = orderMoves.includes(move) ? changeOrder(client.terminalServerIds, { move, id: serverId }) : null;
        if (!next) throw new DomainError(400, 'order_unchanged', 'That move changes nothing: the list already has the server there (or does not list it).');
        const patch = spec.input!.partial().strict().parse({ terminalServerIds: next });
        return updateRecord(tx, changeContextOf(c), 'display-client', id, patch, (current) => checkIfMatch(recordEtag(version), current));
      }),
    );
    if (done.ok) return seeOther(c, `${withNotice(`/dashboard/display-clients/${id}`, 'order-saved')}#failover`);
    return showClient(c, id, { orderError: done.problems.form ?? Object.values(done.problems.fields)[0], status: done.status });
  });
}
