import type { Hono } from 'hono';
import type { RedundancyMode } from '../../domain/license';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { EventCells, Table, Time, UsageBar } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import type { Fresh } from '../read/memo';
import type { OverviewFigures } from '../read/overview';
import { render, renderFragment } from '../render';
import { relayHealth, relayWarning } from '../view/relay-health';
import { stateLabel, terminalStates } from '../view/terminal-state';

const LIVE_PATH = '/dashboard/overview/live';

export const modeText: Record<RedundancyMode, string> = {
  demo: 'demo mode (no licence: one server, 5 terminals)',
  none: 'single server',
  mirrored: 'mirrored (configuration on the primary, read-only secondary)',
  full: 'full redundancy (configuration on either server)',
};

const seconds = (s: number | null) => (s === null ? 'unknown' : s < 1 ? 'under a second' : `${Math.round(s)} s`);

/** Everything the overview shows; the script swaps it for a fresh copy every few seconds. */
const Live = ({ f, serverId, role }: { f: OverviewFigures; serverId: string; role: string }) => (
  <>
    <div class="panels">
      <section class="panel" aria-labelledby="server-heading">
        <h2 id="server-heading">This server</h2>
        <p>
          <strong>{serverId}</strong>, {role}: {modeText[f.license.mode]}.
        </p>
        <p>
          Licence: {f.license.state}
          {f.license.expiry?.expiresAt ? (
            <>
              , expires <Time at={f.license.expiry.expiresAt} />
            </>
          ) : null}
          .
        </p>
        {f.license.warnings.map((w) => (
          <p class="warning">{w}</p>
        ))}
      </section>

      {f.sync ? (
        <section class="panel" aria-labelledby="peer-heading">
          <h2 id="peer-heading">Peer</h2>
          <p>
            {f.sync.peer.serverId ?? 'The other server'} at <code>{f.sync.peer.url}</code>:{' '}
            {f.sync.peer.reachable === null ? 'not asked (nothing to synchronise)' : f.sync.peer.reachable ? 'answers' : <strong class="state-failing">does not answer</strong>}
            .
          </p>
          <ul>
            <li>Sync: {f.sync.paused ? 'paused on this server' : f.sync.direction.pulls || f.sync.direction.serves ? f.sync.direction.reason : 'off'}</li>
            <li>
              Lag: {f.sync.lag.changes ?? 'unknown'} change(s), {seconds(f.sync.lag.seconds)}
            </li>
            <li>
              Last successful sync: <Time at={f.sync.lastSuccessfulSync} />
            </li>
            <li>
              Open conflicts: {f.sync.openConflicts} {f.sync.openConflicts > 0 ? <a href="/dashboard/redundancy">(review)</a> : null}
            </li>
          </ul>
          {f.sync.warnings.map((w) => (
            <p class="warning">{w}</p>
          ))}
        </section>
      ) : null}

      <section class="panel" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Licence usage</h2>
        {f.license.servers.map((s) => (
          <UsageBar label={`${s.serverId ?? s.installationId} (${s.role})`} used={s.leases} limit={s.licensed} />
        ))}
      </section>

      <section class="panel" aria-labelledby="terminals-heading">
        <h2 id="terminals-heading">Terminals</h2>
        <ul class="figures">
          {terminalStates.map((state) => (
            <li>
              <strong class={`state-${state === 'never-booted' ? 'never' : state}`}>{f.terminals[state]}</strong>
              <a href={`/dashboard/terminals?status=${state}`}>{stateLabel[state]}</a>
            </li>
          ))}
          <li>
            <strong>{f.pending}</strong>
            <a href="/dashboard/pending">pending</a>
          </li>
        </ul>
        <p class="muted">From check-ins on this server.</p>
      </section>
    </div>

    <section aria-labelledby="relays-heading">
      <h2 id="relays-heading">Relays</h2>
      <Table caption="Relays seen by this server" captionHidden head={['Relay', 'Health', 'Last seen', 'Terminals checked in', 'Notes']} rows={f.relays.length} empty="No relay has a token or has been seen here yet.">
        {f.relays.map((r) => (
          <tr>
            <td>{r.name}</td>
            <td>{relayHealth(r, f.at)}</td>
            <td>
              <Time at={r.lastSeenAt} />
            </td>
            <td>{r.terminals}</td>
            <td>{relayWarning(r) ?? (r.token === 'none' ? 'No relay token of this name here.' : '')}</td>
          </tr>
        ))}
      </Table>
    </section>

    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Latest events</h2>
      <Table caption="Latest events" captionHidden head={['When', 'Server', 'Who', 'What', 'Record']} rows={f.events.length} empty="No events yet.">
        {f.events.map((e) => (
          <tr>
            <EventCells event={e} />
          </tr>
        ))}
      </Table>
      <p>
        <a href="/dashboard/events">All events</a>
      </p>
    </section>
    <p class="muted">
      As of <Time at={f.at} />.
    </p>
  </>
);

/** The overview: this server, its peer, licence usage, terminals, relays, latest events. */
export function mountOverview(app: Hono<DashboardEnv>, table: RouteTable, figures: Fresh<OverviewFigures>): void {
  declarePage(app, table, { method: 'get', path: '/dashboard', access: access.read }, async (c) => {
    const { deps } = c.var;
    const f = await figures.get();
    return render(
      c,
      <Page title="Overview" section="/dashboard" viewer={c.var.viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
        <div id="live" data-refresh={LIVE_PATH} data-every="5000">
          <Live f={f} serverId={deps.serverId} role={deps.role} />
        </div>
      </Page>,
    );
  });

  declarePage(app, table, { method: 'get', path: LIVE_PATH, access: access.read }, async (c) => {
    const { deps } = c.var;
    return renderFragment(c, <Live f={await figures.get()} serverId={deps.serverId} role={deps.role} />);
  });
}
