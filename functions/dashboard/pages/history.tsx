import type { Context, Hono } from 'hono';
import { desc } from 'drizzle-orm';
import { changeLog, type ChangeLogEntry } from '../../../db/schema';
import type { DomainError } from '../../domain/errors';
import { access } from '../../domain/roles';
import { redactSecrets } from '../../domain/secrets';
import type { RouteTable } from '../../http/route';
import { historyFilter, pageOf } from '../../routes/paging';
import { revertChange } from '../../services/revert';
import { attempt, changeContextOf } from '../actions';
import { Field, FormError, Pager, PostForm, Time } from '../components';
import type { DashboardEnv, Viewer } from '../context';
import { DiffTable } from '../diff-table';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render, seeOther } from '../render';
import { askedFilters, listHref, offsetOf } from '../view/list-query';
import { withNotice } from '../view/notices';
import { recordName } from '../view/record-diff';

const PAGE_SIZE = 25;

/** A refused revert: the sentence, and whether a forced revert would go through. */
interface RevertRefusal {
  changeId: string;
  sentence: string;
  conflict: boolean;
}

const stateOf = (entry: ChangeLogEntry, state: Record<string, unknown> | null) => redactSecrets(entry.entity, state) as Record<string, unknown> | null;

const ChangeView = ({ entry, viewer, refusal, query }: { entry: ChangeLogEntry; viewer: Viewer; refusal: RevertRefusal | null; query: string }) => {
  const name = recordName(entry.after, entry.before) ?? entry.recordId;
  const label = `${entry.operation} ${entry.entity} ${name}`;
  const revertable = entry.status !== 'failed' && entry.entity !== 'license' && entry.entity !== 'token-revocation';
  return (
    <article class="panel" aria-labelledby={`change-${entry.changeId}`}>
      <h3 id={`change-${entry.changeId}`}>
        {label}
        {entry.revertOf ? ' (a revert)' : ''}
      </h3>
      <p>
        <Time at={entry.at} /> by {entry.actor} on {entry.origin}
        {entry.status !== 'applied' ? <strong>, {entry.status}{entry.error ? `: ${entry.error}` : ''}</strong> : null}
      </p>
      <details open={refusal ? true : undefined}>
        <summary>Before and after</summary>
        <DiffTable caption={`Before and after: ${label}`} left="Before" right="After" leftState={stateOf(entry, entry.before)} rightState={stateOf(entry, entry.after)} changedOnly />
      </details>
      {revertable && viewer.may(access.configure) ? (
        <PostForm viewer={viewer} action={`/dashboard/history/${entry.changeId}/revert`} label={`Revert: ${label}`}>
          <input type="hidden" name="back" value={query} />
          <FormError message={refusal?.sentence} />
          {refusal?.conflict ? (
            <>
              <input type="hidden" name="force" value="true" />
              <button type="submit" class="danger" aria-label={`Revert anyway: ${label}`}>
                Revert anyway
              </button>
            </>
          ) : (
            <button type="submit" class="secondary" aria-label={`Revert: ${label}`}>
              Revert
            </button>
          )}
        </PostForm>
      ) : null}
    </article>
  );
};

const filterKeys = ['entity', 'recordId', 'server'] as const;

async function showHistory(c: Context<DashboardEnv>, query: URLSearchParams, refusal: RevertRefusal | null = null, status = 200) {
  const { deps, viewer } = c.var;
  const asked = askedFilters((k) => query.get(k), filterKeys);
  const offset = offsetOf(query.get('offset'));
  const where = historyFilter(
    [
      [changeLog.entity, asked.entity || undefined],
      [changeLog.recordId, asked.recordId || undefined],
      [changeLog.origin, asked.server || undefined],
    ],
    changeLog.at,
    {},
  );
  const page = await pageOf(deps.db.orm, changeLog, where, desc(changeLog.seq), { limit: PAGE_SIZE, offset });
  const href = (at: number) => listHref('/dashboard/history', asked, at);
  return render(
    c,
    <Page title="Change history" section="/dashboard/history" viewer={viewer} serverId={deps.serverId} notice={query.get('notice') ?? undefined}>
      <p>Every configuration change of both servers, newest first. A revert writes the inverse as a new change, synchronised like any other.</p>
      <form method="get" action="/dashboard/history" class="filters" role="search" aria-label="Filter the history">
        <Field name="entity" label="Record kind" value={asked.entity} placeholder="terminal, group, display-client…" />
        <Field name="recordId" label="Record id" value={asked.recordId} />
        <Field name="server" label="Made on server" value={asked.server} />
        <div class="field">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      {refusal && !page.items.some((e) => e.changeId === refusal.changeId) ? <FormError message={refusal.sentence} /> : null}
      {page.items.length === 0 ? <p class="muted">No change matches.</p> : null}
      {page.items.map((entry) => (
        <ChangeView entry={entry} viewer={viewer} refusal={refusal?.changeId === entry.changeId ? refusal : null} query={href(offset)} />
      ))}
      <Pager total={page.total} limit={PAGE_SIZE} offset={offset} href={href} />
    </Page>,
    status,
  );
}

/** The API's revert_conflict, as the page can act on it (its button instead of ?force=true). */
function revertConflictSentence(error: DomainError): string {
  const later = (error.extra.laterChanges ?? []) as { actor: string; origin: string; at: string }[];
  const latest = later[later.length - 1];
  const by = latest ? ` (the latest by ${latest.actor} on ${latest.origin}, ${latest.at.slice(0, 19).replace('T', ' ')} UTC)` : '';
  return `The record has changed since this change: reverting it would overwrite ${later.length || 'a'} later change(s)${by}. Revert the latest change first, or revert anyway.`;
}

/** Where to go back to after a revert: a history page, never another site. */
const backTo = (back: string) => (/^\/dashboard\/history(\?[\w=&%.:-]*)?$/.test(back) ? back : '/dashboard/history');

/** The change history with before/after and one-click revert (and the answer when a later change would be overwritten). */
export function mountHistory(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/history', access: access.read }, (c) => showHistory(c, new URL(c.req.url).searchParams));

  declarePage(app, table, { method: 'post', path: '/dashboard/history/{id}/revert', access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const form = await formOf(c);
    const back = backTo(text(form, 'back'));
    const force = text(form, 'force') === 'true';
    const done = await attempt({}, () => c.var.deps.db.write((tx) => revertChange(tx, changeContextOf(c), id, force)));
    if (done.ok) return seeOther(c, withNotice(back, 'change-reverted'));
    const query = new URL(back, 'http://dashboard').searchParams;
    const conflict = done.error?.code === 'revert_conflict';
    const sentence = conflict ? revertConflictSentence(done.error!) : (done.problems.form ?? '');
    return showHistory(c, query, { changeId: id, sentence, conflict }, done.status);
  });
}
