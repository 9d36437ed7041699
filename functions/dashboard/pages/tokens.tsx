import type { Context, Hono } from 'hono';
import { desc } from 'drizzle-orm';
import { apiTokens } from '../../../db/schema';
import { access, roles } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { tokenRequest } from '../../routes/tokens';
import { issueToken, revokeToken, type IssuedToken } from '../../services/tokens';
import { attempt, changeContextOf } from '../actions';
import { CopyText, Field, FormError, PostForm, Select, Table, Time } from '../components';
import type { DashboardEnv } from '../context';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render, seeOther } from '../render';
import { noProblems, problemsFromIssues, type Problems } from '../view/form-problems';
import { withNotice } from '../view/notices';

const labels = { name: 'Name', role: 'Role' };

interface PageState {
  issued?: IssuedToken;
  problems?: Problems;
  values?: { name: string; role: string };
  revokeError?: { id: string; sentence: string };
  status?: number;
}

async function showTokens(c: Context<DashboardEnv>, state: PageState = {}) {
  const { deps, viewer } = c.var;
  const tokens = await deps.db.orm
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, createdAt: apiTokens.createdAt, createdBy: apiTokens.createdBy, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .orderBy(desc(apiTokens.createdAt))
    .all();
  const problems = state.problems ?? noProblems;
  // A mirrored secondary takes revocations (a leaked token stopped while the primary is down), not new tokens.
  const mayRevoke = viewer.may(access.administer, false);
  return render(
    c,
    <Page title="API tokens" section="/dashboard/tokens" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      {state.issued ? (
        <div class="secret" role="status">
          <p>
            The new <strong>{state.issued.role}</strong> token <strong>{state.issued.name}</strong>. It is shown this once: only its hash is kept.
          </p>
          <CopyText id="new-token" value={state.issued.token} label="token" />
        </div>
      ) : null}
      {state.revokeError && !tokens.some((t) => t.id === state.revokeError!.id) ? <FormError message={state.revokeError.sentence} /> : null}
      <Table caption="Tokens of this server" captionHidden head={['Name', 'Role', 'Created', 'By', 'State', ...(mayRevoke ? ['Action'] : [])]} rows={tokens.length}>
        {tokens.map((t) => (
          <tr>
            <td>{t.name}</td>
            <td>{t.role}</td>
            <td>
              <Time at={t.createdAt} />
            </td>
            <td>{t.createdBy ?? ''}</td>
            <td>{t.revokedAt ? <>revoked <Time at={t.revokedAt} /></> : 'active'}</td>
            {mayRevoke ? (
              <td>
                {t.revokedAt ? null : (
                  <PostForm viewer={viewer} action={`/dashboard/tokens/${t.id}/revoke`} label={`Revoke ${t.name}`} class="inline">
                    <button type="submit" class="danger" aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </button>
                  </PostForm>
                )}
                {state.revokeError?.id === t.id ? <FormError message={state.revokeError.sentence} /> : null}
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      {viewer.may(access.administer) ? (
        <section aria-labelledby="new-token-heading">
          <h2 id="new-token-heading">New token</h2>
          <PostForm viewer={viewer} action="/dashboard/tokens" label="New token">
            <FormError message={problems.form} />
            <Field name="name" label="Name" value={state.values?.name} problems={problems} required hint="Who or what uses it: a relay's RELAY_ID, a person, a script." />
            <Select name="role" label="Role" value={state.values?.role ?? 'viewer'} options={roles.map((r) => ({ value: r, label: r }))} problems={problems} />
            <button type="submit">Create token</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    state.status ?? 200,
  );
}

/** API tokens: create (shown once), list, revoke. */
export function mountTokens(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/tokens', access: access.administer }, (c) => showTokens(c));

  declarePage(app, table, { method: 'post', path: '/dashboard/tokens', access: access.administer, writes: true }, async (c) => {
    const form = await formOf(c);
    const values = { name: text(form, 'name'), role: text(form, 'role') };
    const parsed = tokenRequest.omit({ token: true }).safeParse(values);
    if (!parsed.success) return showTokens(c, { values, problems: problemsFromIssues(parsed.error.issues, labels), status: 400 });
    const issued = await attempt(labels, () => c.var.deps.db.write((tx) => issueToken(tx, changeContextOf(c), parsed.data)));
    if (!issued.ok) return showTokens(c, { values, problems: issued.problems, status: issued.status });
    return showTokens(c, { issued: issued.value, status: 201 });
  });

  declarePage(app, table, { method: 'post', path: '/dashboard/tokens/{id}/revoke', access: access.administer, writes: true, mirroredSecondaryMay: true }, async (c) => {
    const id = c.req.param('id')!;
    const revoked = await attempt({}, () => c.var.deps.db.write((tx) => revokeToken(tx, changeContextOf(c), id)));
    if (revoked.ok && revoked.value) return seeOther(c, withNotice('/dashboard/tokens', 'token-revoked'));
    const sentence = revoked.ok ? 'This token is unknown here or already revoked.' : (revoked.problems.form ?? 'The token could not be revoked.');
    return showTokens(c, { revokeError: { id, sentence }, status: revoked.ok ? 404 : revoked.status });
  });
}
