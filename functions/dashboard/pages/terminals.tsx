import type { Hono } from 'hono';
import { subtreeOf } from '../../domain/resolve';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { Field, Pager, Select, Table, Time } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import type { ListChoices } from '../read/catalog';
import type { Fresh } from '../read/memo';
import { listTerminals, type TerminalFilter } from '../read/terminal-list';
import { render } from '../render';
import { groupOptions } from '../settings-fields';
import { groupPath } from '../view/group-tree';
import { askedFilters, listHref, offsetOf } from '../view/list-query';
import { isTerminalState, stateLabel, terminalStates } from '../view/terminal-state';

export const PAGE_SIZE = 50;

/** The list's query: what the filter form sends, kept in links to other pages of it. */
const filterKeys = ['q', 'group', 'status', 'relay', 'firmware'] as const;

/** Terminals: search, filters (group with its subgroups, status, relay, firmware), 50 a page. */
export function mountTerminalList(app: Hono<DashboardEnv>, table: RouteTable, choices: Fresh<ListChoices>): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/terminals', access: access.read }, async (c) => {
    const { deps, viewer } = c.var;
    const orm = deps.db.orm;
    const asked = askedFilters((k) => c.req.query(k), filterKeys);
    const offset = offsetOf(c.req.query('offset'));
    const { groups: groupRows, firmware, relays } = await choices.get();
    const groups = new Map(groupRows.map((g) => [g.id, g]));
    const filter: TerminalFilter = {
      search: asked.q || undefined,
      groupIds: asked.group && groups.has(asked.group) ? [...subtreeOf(asked.group, groupRows)] : asked.group ? [] : undefined,
      status: isTerminalState(asked.status) ? asked.status : undefined,
      relay: asked.relay || undefined,
      firmwareId: asked.firmware || undefined,
    };
    const page = await listTerminals(orm, filter, { limit: PAGE_SIZE, offset }, deps.now().getTime());
    return render(
      c,
      <Page title="Terminals" section="/dashboard/terminals" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
        {viewer.may(access.configure) ? (
          <p>
            <a href="/dashboard/terminals/new">New terminal</a> · <a href="/dashboard/pending">Pending terminals</a>
          </p>
        ) : null}
        <form method="get" action="/dashboard/terminals" class="filters" aria-label="Filter terminals" role="search">
          <Field name="q" label="Name or MAC contains" value={asked.q} type="search" />
          <Select name="group" label="Group" value={asked.group} options={groupOptions(groupRows, 'Any group')} />
          <Select name="status" label="Status" value={asked.status} options={[{ value: '', label: 'Any status' }, ...terminalStates.map((s) => ({ value: s, label: stateLabel[s] }))]} />
          <Select name="relay" label="Relay" value={asked.relay} options={[{ value: '', label: 'Any relay' }, ...relays.map((r) => ({ value: r, label: r }))]} />
          <Select
            name="firmware"
            label="Firmware"
            value={asked.firmware}
            options={[{ value: '', label: 'Any firmware' }, ...firmware.map((f) => ({ value: f.id, label: `${f.name} ${f.packageVersion}` }))]}
          />
          <div class="field">
            <button type="submit">Apply filters</button>
          </div>
        </form>
        <Table caption="Terminals" captionHidden head={['Name', 'MAC', 'Group', 'Status', 'Last boot', 'Relay', 'Firmware reported']} rows={page.items.length} empty="No terminal matches.">
          {page.items.map((t) => (
            <tr>
              <td>
                <a href={`/dashboard/terminals/${t.id}`}>{t.name}</a>
              </td>
              <td>
                <code>{t.mac}</code>
              </td>
              <td>{t.groupId ? groupPath(t.groupId, groups) || <span class="muted">missing group</span> : <span class="muted">none</span>}</td>
              <td class={`state-${t.state === 'never-booted' ? 'never' : t.state}`}>{stateLabel[t.state]}</td>
              <td>
                <Time at={t.lastBootAt} />
              </td>
              <td>{t.relayId ?? ''}</td>
              <td>{t.firmwareVersion ?? ''}</td>
            </tr>
          ))}
        </Table>
        <Pager total={page.total} limit={PAGE_SIZE} offset={offset} href={(at) => listHref('/dashboard/terminals', asked, at)} />
      </Page>,
    );
  });
}
