import type { Context, Hono } from 'hono';
import { eq } from 'drizzle-orm';
import { terminalGroups, terminalLeases, terminalStatus, type Terminal, type TerminalGroup } from '../../../db/schema';
import { groupChain } from '../../domain/resolve';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { shadowRequest } from '../../routes/license';
import { knownEntity } from '../../services/entities';
import { grantShadow } from '../../services/shadow-grants';
import { findRecord } from '../../services/write-record';
import { attempt, changeContextOf, requireFound } from '../actions';
import { CopyText, Field, FormError, PostForm, Select, Table, Time } from '../components';
import type { DashboardEnv } from '../context';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices, type Choices } from '../read/catalog';
import { mountRecordEditing, RecordEditor, type EditState } from '../record-pages';
import { render } from '../render';
import { TerminalFields, type TerminalValues } from '../terminal-fields';
import { noProblems, problemsFromIssues, type Problems } from '../view/form-problems';
import { groupPath } from '../view/group-tree';
import { terminalFromForm, terminalLabels } from '../view/record-forms';
import { originText, traceSettings, type Origin } from '../view/setting-origins';
import { stateLabel, stateReason, terminalState } from '../view/terminal-state';

type Grant = Awaited<ReturnType<typeof grantShadow>>;

/** What a post left to show on the page: the form as sent with its problems, a refused delete, a shadow grant. */
interface PageState extends EditState<TerminalValues> {
  shadow?: { grant?: Grant; problems?: Problems };
}

const OriginCell = ({ origin }: { origin: Origin }) => (
  <td class="origin">{origin.kind === 'group' ? <a href={`/dashboard/groups/${origin.id}`}>{originText(origin)}</a> : originText(origin)}</td>
);

/** The resolved configuration, each setting with where it comes from. */
const ResolvedConfiguration = ({ terminal, choices, groupRows }: { terminal: Terminal; choices: Choices; groupRows: TerminalGroup[] }) => {
  const groups = new Map(groupRows.map((g) => [g.id, g]));
  const traced = traceSettings(terminal, groupChain(terminal.groupId, groups));
  const firmware = choices.firmware.find((f) => f.id === traced.firmwarePackageId.value);
  const clients = new Map(choices.displayClients.map((d) => [d.id, d]));
  const value = (v: string | null) => v ?? <span class="muted">not set</span>;
  return (
    <Table caption="Resolved configuration, with where each setting comes from" head={['Setting', 'Value', 'Comes from']} rows={1}>
      <tr>
        <th scope="row">Group</th>
        <td>{terminal.groupId ? groupPath(terminal.groupId, groups) || <span class="muted">a group that no longer exists here</span> : <span class="muted">none</span>}</td>
        <td class="origin">this terminal</td>
      </tr>
      <tr>
        <th scope="row">Hardware model</th>
        <td>{value(traced.hardwareModel.value)}</td>
        <OriginCell origin={traced.hardwareModel.origin} />
      </tr>
      <tr>
        <th scope="row">Video resolution</th>
        <td>{value(traced.videoResolution.value)}</td>
        <OriginCell origin={traced.videoResolution.origin} />
      </tr>
      <tr>
        <th scope="row">Firmware package</th>
        <td>{traced.firmwarePackageId.value ? firmware ? `${firmware.name} ${firmware.packageVersion}` : <span class="muted">a package that no longer exists here</span> : value(null)}</td>
        <OriginCell origin={traced.firmwarePackageId.origin} />
      </tr>
      <tr>
        <th scope="row">Display clients</th>
        <td>
          {traced.displayClientIds.value?.length ? (
            <ol>
              {traced.displayClientIds.value.map((id) => (
                <li>{clients.get(id) ? <a href={`/dashboard/display-clients/${id}`}>{clients.get(id)!.name}</a> : <span class="muted">a display client that no longer exists here</span>}</li>
              ))}
            </ol>
          ) : (
            value(null)
          )}
        </td>
        <OriginCell origin={traced.displayClientIds.origin} />
      </tr>
      {traced.options.map((o) => (
        <tr>
          <th scope="row">
            Option <code>{o.key}</code>
          </th>
          <td>
            <code>{JSON.stringify(o.value)}</code>
          </td>
          <td class="origin">
            {originText(o.origin)}
            {o.overrides.length ? `, over ${o.overrides.map(originText).join(', ')}` : ''}
          </td>
        </tr>
      ))}
    </Table>
  );
};

async function showTerminal(c: Context<DashboardEnv>, id: string, state: PageState = {}): Promise<Response> {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const terminal = requireFound((await findRecord(orm, knownEntity('terminal'), id)) as Terminal | null, 'terminal', id);
  const [choices, groupRows, status, lease] = await Promise.all([
    readChoices(orm),
    orm.select().from(terminalGroups).all(),
    orm.select().from(terminalStatus).where(eq(terminalStatus.mac, terminal.mac)).get(),
    orm.select().from(terminalLeases).where(eq(terminalLeases.mac, terminal.mac)).get(),
  ]);
  const now = deps.now().getTime();
  const inputs = { lastBootAt: status?.lastBootAt ?? null, source: status?.source ?? null, leaseExpiresAt: lease?.expiresAt ?? null };
  const current = terminalState(inputs, now);
  const may = viewer.may(access.configure);
  const problems = state.problems ?? noProblems;
  return render(
    c,
    <Page title={`Terminal ${terminal.name}`} section="/dashboard/terminals" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <section aria-labelledby="state-heading">
        <h2 id="state-heading">State</h2>
        <p>
          MAC <code>{terminal.mac}</code>: <strong class={`state-${current === 'never-booted' ? 'never' : current}`}>{stateLabel[current]}</strong>. {stateReason(inputs, now)}
        </p>
        <ul>
          <li>
            Last boot: <Time at={status?.lastBootAt} />
            {status ? ` through ${status.relayId}, configuration ${status.source === 'cache' ? "from the relay's cache" : 'live'}` : ''}
          </li>
          <li>Firmware reported: {status?.firmwareVersion ?? 'none'}</li>
          <li>
            Licence lease here: {lease ? <>until <Time at={lease.expiresAt} /></> : 'none'}
          </li>
        </ul>
      </section>

      <section aria-labelledby="resolved-heading">
        <h2 id="resolved-heading">Resolved configuration</h2>
        <ResolvedConfiguration terminal={terminal} choices={choices} groupRows={groupRows} />
      </section>

      {may ? (
        <section aria-labelledby="edit-heading">
          <h2 id="edit-heading">Edit</h2>
          <RecordEditor viewer={viewer} path={`/dashboard/terminals/${terminal.id}`} noun="terminal" version={terminal.version} problems={problems} deleteError={state.deleteError} deleteNote="It stops booting until it is configured again (it then shows under pending terminals).">
            <TerminalFields values={state.values ?? terminal} choices={choices} problems={problems} />
          </RecordEditor>
        </section>
      ) : null}

      {may ? (
        <section aria-labelledby="shadow-heading">
          <h2 id="shadow-heading">Shadow</h2>
          {state.shadow?.grant ? (
            <div class="secret" role="status">
              <p>
                Shadow grant, valid until <Time at={state.shadow.grant.expiresAt} />: hand it to the shadowing client; it is shown once.
              </p>
              <CopyText id="shadow-grant" value={JSON.stringify(state.shadow.grant.grant)} label="grant" />
            </div>
          ) : null}
          <PostForm viewer={viewer} action={`/dashboard/terminals/${terminal.id}/shadow`} label="Request a shadow grant">
            <FormError message={state.shadow?.problems?.form} />
            <Select name="mode" label="Mode" value="view-only" options={[{ value: 'view-only', label: 'view only' }, { value: 'interactive', label: 'interactive' }]} problems={state.shadow?.problems} />
            <Field name="ttlSeconds" label="Valid for (seconds)" value="300" inputmode="numeric" problems={state.shadow?.problems} hint="From 30 to 3600." />
            <button type="submit">Request shadow grant</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    state.status ?? 200,
  );
}

/** A terminal: its state, its resolved configuration with origins, edit, delete, shadow. */
export function mountTerminal(app: Hono<DashboardEnv>, table: RouteTable): void {
  const path = '/dashboard/terminals/{id}';
  declarePage(app, table, { method: 'get', path, access: access.read }, (c) => showTerminal(c, c.req.param('id')!));

  mountRecordEditing(app, table, { entity: 'terminal', path: '/dashboard/terminals', read: terminalFromForm, labels: terminalLabels }, showTerminal);

  declarePage(app, table, { method: 'post', path: `${path}/shadow`, access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const form = await formOf(c);
    const ttl = text(form, 'ttlSeconds');
    const labels = { mode: 'Mode', ttlSeconds: 'Valid for' };
    const parsed = shadowRequest.safeParse({ mode: text(form, 'mode') || undefined, ttlSeconds: /^\d+$/.test(ttl) ? Number(ttl) : ttl || undefined });
    if (!parsed.success) return showTerminal(c, id, { shadow: { problems: problemsFromIssues(parsed.error.issues, labels) }, status: 400 });
    const { deps, services } = c.var;
    const granted = await attempt(labels, () =>
      grantShadow({ db: deps.db, role: deps.role, licensing: services.licensing, identity: services.identity }, changeContextOf(c), { terminal: id, ...parsed.data }),
    );
    return showTerminal(c, id, granted.ok ? { shadow: { grant: granted.value } } : { shadow: { problems: granted.problems }, status: granted.status });
  });
}
