import type { Context, Hono } from 'hono';
import { desc, eq } from 'drizzle-orm';
import { pendingTerminals } from '../../../db/schema';
import { requireMac } from '../../domain/mac';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { pageOf } from '../../routes/paging';
import { dismissPendingTerminal } from '../../services/pending-terminals';
import { attempt, changeContextOf, requireFound, saveRecord } from '../actions';
import { Field, FormError, Pager, PostForm, Select, Table, Time } from '../components';
import type { DashboardEnv } from '../context';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices } from '../read/catalog';
import { render, seeOther } from '../render';
import { groupOptions } from '../settings-fields';
import { noProblems, type Problems } from '../view/form-problems';
import { offsetOf } from '../view/list-query';
import { withNotice } from '../view/notices';
import { terminalLabels } from '../view/record-forms';

const PAGE_SIZE = 50;
const wizardLabels = { ...terminalLabels, displayClientId: 'Display client' };

/** A name to start from: the MAC's last three bytes. */
const suggestedName = (mac: string) => `terminal-${mac.replace(/:/g, '').slice(6)}`;

async function showWizard(c: Context<DashboardEnv>, mac: string, values: { name: string; groupId: string; displayClientId: string }, problems: Problems, status = 200) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const [pending, choices] = await Promise.all([orm.select().from(pendingTerminals).where(eq(pendingTerminals.mac, mac)).get(), readChoices(orm)]);
  requireFound(pending, 'pending terminal', mac);
  return render(
    c,
    <Page title={`Configure ${mac}`} section="/dashboard/pending" viewer={viewer} serverId={deps.serverId}>
      <p>
        This terminal asked to boot {pending!.requestCount} time(s), last <Time at={pending!.lastSeen} />
        {pending!.relayId ? ` through ${pending!.relayId}` : ''}. Give it a name, a group and a display client; everything else it inherits from the group.
      </p>
      <PostForm viewer={viewer} action={`/dashboard/pending/${mac}`} label="Configure the pending terminal">
        <FormError message={problems.form} />
        <Field name="name" label="Name" value={values.name} problems={problems} required />
        <Select name="groupId" label="Group" value={values.groupId} options={groupOptions(choices.groups, '(no group)')} problems={problems} />
        <Select
          name="displayClientId"
          label="Display client"
          value={values.displayClientId}
          options={[{ value: '', label: '(inherited from its group)' }, ...choices.displayClients.map((d) => ({ value: d.id, label: d.name }))]}
          problems={problems}
        />
        <button type="submit">Configure terminal</button>
      </PostForm>
    </Page>,
    status,
  );
}

/** Terminals that asked to boot and are not configured: each one click from a small wizard. */
export function mountPending(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/pending', access: access.read }, async (c) => {
    const { deps, viewer } = c.var;
    const offset = offsetOf(c.req.query('offset'));
    const page = await pageOf(deps.db.orm, pendingTerminals, undefined, desc(pendingTerminals.lastSeen), { limit: PAGE_SIZE, offset });
    const may = viewer.may(access.configure);
    const error = c.req.query('error');
    return render(
      c,
      <Page title="Pending terminals" section="/dashboard/pending" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
        <p>Terminals whose MAC no configuration names asked a relay to boot. They boot once configured.</p>
        {error === 'dismiss' ? <FormError message="That pending terminal was already gone." /> : null}
        <Table caption="Pending terminals" captionHidden head={['MAC', 'First seen', 'Last seen', 'Relay', 'Requests', ...(may ? ['Actions'] : [])]} rows={page.items.length} empty="No terminal is waiting.">
          {page.items.map((p) => (
            <tr>
              <td>
                <code>{p.mac}</code>
              </td>
              <td>
                <Time at={p.firstSeen} />
              </td>
              <td>
                <Time at={p.lastSeen} />
              </td>
              <td>{p.relayId ?? ''}</td>
              <td>{p.requestCount}</td>
              {may ? (
                <td>
                  <a href={`/dashboard/pending/${p.mac}`} aria-label={`Configure ${p.mac}`}>
                    Configure
                  </a>{' '}
                  <PostForm viewer={viewer} action={`/dashboard/pending/${p.mac}/dismiss`} label={`Dismiss ${p.mac}`} class="inline">
                    <button type="submit" class="secondary" aria-label={`Dismiss ${p.mac}`}>
                      Dismiss
                    </button>
                  </PostForm>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
        <Pager total={page.total} limit={PAGE_SIZE} offset={offset} href={(at) => `/dashboard/pending?offset=${at}`} />
      </Page>,
    );
  });

  declarePage(app, table, { method: 'get', path: '/dashboard/pending/{mac}', access: access.configure }, (c) => {
    const mac = requireMac(c.req.param('mac')!);
    return showWizard(c, mac, { name: suggestedName(mac), groupId: '', displayClientId: '' }, noProblems);
  });

  declarePage(app, table, { method: 'post', path: '/dashboard/pending/{mac}', access: access.configure, writes: true }, async (c) => {
    const mac = requireMac(c.req.param('mac')!);
    const form = await formOf(c);
    const values = { name: text(form, 'name'), groupId: text(form, 'groupId'), displayClientId: text(form, 'displayClientId') };
    // The same write as the API's POST /api/v1/terminals; its effects take the MAC off the pending list.
    const reading = {
      input: { mac, name: values.name, groupId: values.groupId || null, displayClientIds: values.displayClientId ? [values.displayClientId] : null },
      problems: { form: null, fields: {} },
    };
    const saved = await saveRecord(c, 'terminal', reading, wizardLabels);
    if (saved.ok) return seeOther(c, withNotice(`/dashboard/terminals/${saved.value.id}`, 'pending-configured'));
    // The display client is one field here, displayClientIds in the record.
    const problems = { ...saved.problems, fields: { ...saved.problems.fields, ...(saved.problems.fields.displayClientIds ? { displayClientId: saved.problems.fields.displayClientIds } : {}) } };
    return showWizard(c, mac, values, problems, saved.status);
  });

  declarePage(app, table, { method: 'post', path: '/dashboard/pending/{mac}/dismiss', access: access.configure, writes: true }, async (c) => {
    const mac = requireMac(c.req.param('mac')!);
    const done = await attempt({}, () => dismissPendingTerminal(c.var.deps.db, changeContextOf(c), mac));
    return seeOther(c, done.ok ? withNotice('/dashboard/pending', 'pending-dismissed') : '/dashboard/pending?error=dismiss');
  });
}
