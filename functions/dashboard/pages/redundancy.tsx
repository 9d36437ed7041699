import type { Context, Hono } from 'hono';
import { redactSecrets } from '../../domain/secrets';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { keepRunning } from '../../http/background';
import { acknowledgeConflict } from '../../sync/conflicts';
import { setPaused } from '../../sync/state';
import type { SyncStatus } from '../../sync/status';
import { attempt, changeContextOf } from '../actions';
import { FormError, PostForm, Table, Time } from '../components';
import type { DashboardEnv, Viewer } from '../context';
import { DiffTable } from '../diff-table';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render, seeOther } from '../render';
import { withNotice } from '../view/notices';
import { recordName } from '../view/record-diff';
import { modeText } from './overview';

type Conflict = SyncStatus['conflicts'][number];
type Side = { state?: Record<string, unknown> | null; origin?: string | null; changeId?: string | null };

/** A side of a conflict as people may see it: credentials redacted (as the API shows them). */
const stateOf = (conflict: Conflict, side: unknown) => redactSecrets(conflict.entity, ((side ?? {}) as Side).state ?? null) as Record<string, unknown> | null;

const ConflictView = ({ conflict, viewer, error }: { conflict: Conflict; viewer: Viewer; error?: string | null }) => {
  const local = conflict.local as Side;
  const remote = conflict.remote as Side;
  const name = recordName(stateOf(conflict, local), stateOf(conflict, remote)) ?? conflict.recordId;
  const winner = conflict.winnerChangeId === remote.changeId ? 'remote' : 'local';
  return (
    <article class="panel" aria-labelledby={`conflict-${conflict.id}`}>
      <h3 id={`conflict-${conflict.id}`}>
        {conflict.entity} {name}: {conflict.kind === 'unique' ? 'claimed on both servers' : 'changed on both servers'}
      </h3>
      <p>
        {conflict.resolution} Detected <Time at={conflict.detectedAt} />.
      </p>
      <DiffTable
        caption={`Both versions of ${conflict.entity} ${name}`}
        left={`This server's version${winner === 'local' ? ' (in effect)' : ''}${local.origin ? `, made on ${local.origin}` : ''}`}
        right={`The peer's version${winner === 'remote' ? ' (in effect)' : ''}${remote.origin ? `, made on ${remote.origin}` : ''}`}
        leftState={stateOf(conflict, local)}
        rightState={stateOf(conflict, remote)}
      />
      {viewer.may(access.configure) ? (
        <PostForm viewer={viewer} action={`/dashboard/redundancy/conflicts/${conflict.id}/acknowledge`} label={`Acknowledge the conflict on ${name}`}>
          <FormError message={error} />
          <button type="submit" aria-label={`Acknowledge the conflict on ${name}`}>
            Acknowledge
          </button>
        </PostForm>
      ) : null}
    </article>
  );
};

interface PageState {
  actionError?: string | null;
  conflictError?: { id: string; sentence: string };
  status?: number;
}

async function showRedundancy(c: Context<DashboardEnv>, state: PageState = {}) {
  const { deps, services, viewer } = c.var;
  const s = await services.sync.status();
  const admin = viewer.may(access.administer);
  const syncs = s.direction.pulls || s.direction.serves;
  return render(
    c,
    <Page title="Redundancy" section="/dashboard/redundancy" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <section aria-labelledby="status-heading">
        <h2 id="status-heading">Synchronisation</h2>
        <p>
          {s.serverId} ({s.role}): {modeText[s.mode]}.
        </p>
        <ul>
          <li>Direction: {s.direction.reason}</li>
          <li>
            Peer: {s.peer.url ? <code>{s.peer.url}</code> : 'none configured'}
            {s.peer.url ? (s.peer.reachable === null ? '' : s.peer.reachable ? ', answers' : ', does not answer') : ''}
            {s.peer.error ? ` (${s.peer.error.detail})` : ''}
          </li>
          <li>Synchronisation on this server: {s.paused ? 'paused' : 'running'}</li>
          <li>
            Last successful sync: <Time at={s.lastSuccessfulSync} />
          </li>
          <li>
            Lag: {s.lag.changes ?? 'unknown'} change(s){s.lag.seconds !== null ? `, ${Math.round(s.lag.seconds)} s` : ''}
          </li>
          <li>Clock difference with the peer: {s.peer.clockSkewSeconds === null ? 'not measured' : `${s.peer.clockSkewSeconds} s`}</li>
          <li>Changes that failed to apply: {s.failedChanges}</li>
        </ul>
        {s.lastError ? (
          <p class="warning">
            Last failure (<Time at={s.lastError.at} />): {s.lastError.detail}
          </p>
        ) : null}
        {s.warnings.map((w) => (
          <p class="warning">{w}</p>
        ))}
        {admin && syncs ? (
          <div class="actions">
            <FormError message={state.actionError} />
            <PostForm viewer={viewer} action="/dashboard/redundancy/run" label="Synchronise now" class="inline">
              <button type="submit">Synchronise now</button>
            </PostForm>{' '}
            <PostForm viewer={viewer} action={s.paused ? '/dashboard/redundancy/resume' : '/dashboard/redundancy/pause'} label={s.paused ? 'Resume synchronisation' : 'Pause synchronisation'} class="inline">
              <button type="submit" class="secondary">
                {s.paused ? 'Resume synchronisation' : 'Pause synchronisation'}
              </button>
            </PostForm>
          </div>
        ) : null}
      </section>

      <section aria-labelledby="conflicts-heading">
        <h2 id="conflicts-heading">Open conflicts ({s.openConflicts})</h2>
        {state.conflictError && !s.conflicts.some((c) => c.id === state.conflictError!.id) ? <FormError message={state.conflictError.sentence} /> : null}
        {s.conflicts.length === 0 ? <p class="muted">None: both servers agree.</p> : null}
        {s.conflicts.map((conflict) => (
          <ConflictView conflict={conflict} viewer={viewer} error={state.conflictError?.id === conflict.id ? state.conflictError.sentence : null} />
        ))}
      </section>

      <section aria-labelledby="dangling-heading">
        <h2 id="dangling-heading">Dangling references</h2>
        <Table caption="Records that name one deleted on the other server" captionHidden head={['Record', 'Field', 'Missing id']} rows={s.danglingReferences.length} empty="None.">
          {s.danglingReferences.map((d) => (
            <tr>
              <td>
                <a href={`/dashboard/${d.entity === 'group' ? 'groups' : d.entity === 'terminal' ? 'terminals' : 'display-clients'}/${d.id}`}>
                  {d.entity} {d.name}
                </a>
              </td>
              <td>{d.field}</td>
              <td>
                <code>{d.missing}</code>
              </td>
            </tr>
          ))}
        </Table>
      </section>
    </Page>,
    state.status ?? 200,
  );
}

/** The pair: sync status, synchronise now, pause and resume, conflicts side by side, dangling references. */
export function mountRedundancy(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/redundancy', access: access.monitor }, (c) => showRedundancy(c));

  declarePage(app, table, { method: 'post', path: '/dashboard/redundancy/run', access: access.administer, writes: true }, async (c) => {
    const ran = await attempt({}, () => c.var.services.sync.runNow());
    if (ran.ok) return seeOther(c, withNotice('/dashboard/redundancy', 'sync-run'));
    return showRedundancy(c, { actionError: ran.problems.form, status: ran.status });
  });

  for (const paused of [true, false])
    declarePage(app, table, { method: 'post', path: paused ? '/dashboard/redundancy/pause' : '/dashboard/redundancy/resume', access: access.administer, writes: true }, async (c) => {
      const { deps, services } = c.var;
      await setPaused(deps.db, changeContextOf(c), paused);
      const engine = services.sync;
      // As the API: once paused is answered no pull is under way; resuming pulls at once and tells the peer.
      if (paused) await engine.pullsSettled();
      else {
        keepRunning(c, engine.requestPull());
        engine.notifyLocalChange();
      }
      return seeOther(c, withNotice('/dashboard/redundancy', paused ? 'sync-paused' : 'sync-resumed'));
    });

  declarePage(app, table, { method: 'post', path: '/dashboard/redundancy/conflicts/{id}/acknowledge', access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const done = await attempt({}, () => acknowledgeConflict(c.var.deps.db, changeContextOf(c), id));
    if (done.ok) return seeOther(c, withNotice('/dashboard/redundancy', 'conflict-acknowledged'));
    return showRedundancy(c, { conflictError: { id, sentence: done.problems.form ?? '' }, status: done.status });
  });
}
