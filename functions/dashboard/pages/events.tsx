import type { Hono } from 'hono';
import { desc } from 'drizzle-orm';
import { auditEvents } from '../../../db/schema';
import { access } from '../../domain/roles';
import { redactSecrets } from '../../domain/secrets';
import type { RouteTable } from '../../http/route';
import { historyFilter, pageOf } from '../../routes/paging';
import { EventCells, Field, Pager, Table } from '../components';
import type { DashboardEnv } from '../context';
import { DiffTable } from '../diff-table';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render } from '../render';
import { askedFilters, listHref, offsetOf } from '../view/list-query';

const PAGE_SIZE = 50;
const filterKeys = ['entity', 'entityId', 'server', 'since', 'until'] as const;

/** A day typed in a date field, as the start (or the end) of that day in UTC; undefined when blank or not a day. */
const dayBound = (day: string, end: boolean) => (/^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(day)) ? `${day}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : undefined);

const asState = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : value === null || value === undefined ? null : { value });

/** The event log: who did what, on which server, with filters. */
export function mountEvents(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/events', access: access.read }, async (c) => {
    const { deps, viewer } = c.var;
    const asked = askedFilters((k) => c.req.query(k), filterKeys);
    const offset = offsetOf(c.req.query('offset'));
    const where = historyFilter(
      [
        [auditEvents.entity, asked.entity || undefined],
        [auditEvents.entityId, asked.entityId || undefined],
        [auditEvents.serverId, asked.server || undefined],
      ],
      auditEvents.at,
      { since: dayBound(asked.since, false), until: dayBound(asked.until, true) },
    );
    const page = await pageOf(deps.db.orm, auditEvents, where, desc(auditEvents.id), { limit: PAGE_SIZE, offset });
    return render(
      c,
      <Page title="Event log" section="/dashboard/events" viewer={viewer} serverId={deps.serverId}>
        <form method="get" action="/dashboard/events" class="filters" role="search" aria-label="Filter the event log">
          <Field name="entity" label="Record kind" value={asked.entity} placeholder="terminal, token, sync…" />
          <Field name="entityId" label="Record id" value={asked.entityId} />
          <Field name="server" label="Server" value={asked.server} />
          <Field name="since" label="From (day)" type="date" value={asked.since} />
          <Field name="until" label="To (day)" type="date" value={asked.until} />
          <div class="field">
            <button type="submit">Apply filters</button>
          </div>
        </form>
        <Table caption="Events, newest first" captionHidden head={['When', 'Server', 'Who', 'What', 'Record', 'Details']} rows={page.items.length} empty="No event matches.">
          {page.items.map((e) => (
            <tr>
              <EventCells event={e} />
              <td>
                {e.before !== null || e.after !== null ? (
                  <details>
                    <summary>Before and after</summary>
                    <DiffTable
                      caption={`Event ${e.id}: ${e.action}`}
                      left="Before"
                      right="After"
                      leftState={asState(redactSecrets(e.entity, e.before))}
                      rightState={asState(redactSecrets(e.entity, e.after))}
                      changedOnly
                    />
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
        <Pager total={page.total} limit={PAGE_SIZE} offset={offset} href={(at) => listHref('/dashboard/events', asked, at)} />
      </Page>,
    );
  });
}
