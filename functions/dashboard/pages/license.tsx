import type { Context, Hono } from 'hono';
import { licenseFileSchema } from '../../domain/license';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { askPeer, licenseView } from '../../routes/license';
import { attempt, changeContextOf } from '../actions';
import { CopyText, FormError, PostForm, Table, TextArea, Time, UsageBar } from '../components';
import type { DashboardEnv } from '../context';
import { file, formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render, seeOther } from '../render';
import { noProblems, problemsFromIssues, type Problems } from '../view/form-problems';
import { expiryNotice } from '../view/license-expiry';
import { withNotice } from '../view/notices';
import { modeText } from './overview';

const labels = { license: 'Licence file' };

async function showLicense(c: Context<DashboardEnv>, problems: Problems, status = 200, pasted = '') {
  const { deps, services, viewer } = c.var;
  const [view, identity, peer] = await Promise.all([
    licenseView(deps, services.licensing),
    services.identity.get(),
    askPeer<{ serverId: string; role: string; installationId: string }>(deps, '/api/v1/server'),
  ]);
  const license = view.license;
  const notice = expiryNotice(view.expiry, deps.now().getTime());
  return render(
    c,
    <Page title="Licence" section="/dashboard/license" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <section aria-labelledby="ids-heading">
        <h2 id="ids-heading">Installation ids</h2>
        <p>A licence binds these ids: send both to your vendor to request one for the pair.</p>
        <Table caption="Installation ids" captionHidden head={['Server', 'Role', 'Installation id']} rows={1}>
          <tr>
            <td>{deps.serverId} (this server)</td>
            <td>{deps.role}</td>
            <td>
              <CopyText id="installation-id-self" value={identity.installationId} label="this server's id" />
            </td>
          </tr>
          {deps.peerUrl ? (
            <tr>
              <td>{peer?.serverId ?? 'the peer'}</td>
              <td>{peer?.role ?? (deps.role === 'primary' ? 'secondary' : 'primary')}</td>
              <td>{peer ? <CopyText id="installation-id-peer" value={peer.installationId} label="the peer's id" /> : <span class="muted">the peer at {deps.peerUrl} does not answer</span>}</td>
            </tr>
          ) : null}
        </Table>
      </section>

      <section aria-labelledby="license-heading">
        <h2 id="license-heading">Installed licence</h2>
        {license ? (
          <>
            <p>
              <strong>{license.licenseId}</strong> for {license.customer}, {license.edition} edition: {modeText[view.mode]}. Issued <Time at={license.issuedAt} />, installed{' '}
              <Time at={view.installedAt} />.
            </p>
            {notice ? <p class={notice.level === 'ok' ? undefined : 'warning'}>{notice.text}</p> : null}
          </>
        ) : (
          <p class="warning">No licence is installed: this server runs in demo mode (one server, 5 terminals).</p>
        )}
        {view.problem ? <p class="warning">{view.problem.detail}</p> : null}
        {view.warnings.map((w) => (
          <p class="warning">{w}</p>
        ))}
        {license ? (
          <Table caption="Products" head={['Product', 'Quantity', 'Applies to']} rows={license.products.length}>
            {license.products.map((p) => (
              <tr>
                <td>{p.product}</td>
                <td>{p.quantity}</td>
                <td>{'appliesTo' in p ? p.appliesTo : 'each server of the pair'}</td>
              </tr>
            ))}
          </Table>
        ) : null}
        <h3>Usage per server</h3>
        {view.servers.map((s) => (
          <UsageBar label={`${s.serverId ?? s.installationId} (${s.role})`} used={s.leases} limit={s.licensed} />
        ))}
      </section>

      {viewer.may(access.administer) ? (
        <section aria-labelledby="install-heading">
          <h2 id="install-heading">Install a licence</h2>
          <PostForm viewer={viewer} action="/dashboard/license" label="Install a licence" enctype="multipart/form-data">
            <FormError message={problems.form} />
            <div class={`field${problems.fields.license ? ' invalid' : ''}`}>
              <label for="license-file">Licence file</label>
              <input type="file" id="license-file" name="licenseFile" accept=".json,application/json" aria-describedby={problems.fields.license ? 'license-error' : undefined} />
              {problems.fields.license ? (
                <p class="error" id="license-error">
                  {problems.fields.license}
                </p>
              ) : null}
            </div>
            <TextArea name="licenseText" label="Or paste the licence file" value={pasted} rows={5} hint="A newer licence replaces the installed one; the pair's other server receives it by synchronisation." />
            <button type="submit">Install licence</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    status,
  );
}

/** The licence: installation ids, the licence and its products, usage per server, expiry, install. */
export function mountLicense(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/license', access: access.read }, (c) => showLicense(c, noProblems));

  declarePage(app, table, { method: 'post', path: '/dashboard/license', access: access.administer, writes: true }, async (c) => {
    const form = await formOf(c);
    const upload = file(form, 'licenseFile');
    const pasted = text(form, 'licenseText');
    const source = upload ? await upload.text() : pasted;
    const refuse = (sentence: string, status: number) => showLicense(c, { form: null, fields: { license: sentence } }, status, pasted);
    if (!source) return refuse('Choose the licence file, or paste it.', 400);
    let document: unknown;
    try {
      document = JSON.parse(source);
    } catch {
      return refuse('This is not a licence file: it is not JSON.', 400);
    }
    const parsed = licenseFileSchema.safeParse(document);
    if (!parsed.success) return refuse(`This is not a licence file: ${problemsFromIssues(parsed.error.issues, {}).form}`, 400);
    const installed = await attempt(labels, () => c.var.services.licensing.install(parsed.data, changeContextOf(c).actor));
    if (installed.ok) return seeOther(c, withNotice('/dashboard/license', 'license-installed'));
    return refuse(installed.problems.form ?? Object.values(installed.problems.fields)[0], installed.status);
  });
}
