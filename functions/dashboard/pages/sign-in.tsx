import type { Context, Hono } from 'hono';
import { sameSecret } from '../../domain/dashboard-session';
import { access } from '../../domain/roles';
import { generateToken } from '../../domain/token';
import { clientAddress } from '../../http/client-address';
import { actorOf } from '../../http/context';
import type { RouteTable } from '../../http/route';
import type { DashboardEnv } from '../context';
import { CSRF_FIELD } from '../csrf';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage, SIGN_IN_PATH } from '../page-route';
import { render, seeOther } from '../render';
import { clearSessionCookie, clearSignInCookie, readSessionCookie, readSignInCookie, setSessionCookie, setSignInCookie } from '../session';
import { withNotice } from '../view/notices';

/** Where to go after signing in: a dashboard path of this server, never another site. */
const safeNext = (next: string) => (/^\/dashboard(\/[\w\-/.]*)?$/.test(next) ? next : '/dashboard');

const SignInForm = (props: { serverId: string; secret: string; next: string; problem?: string | null; notice?: string }) => (
  <Page title="Sign in" serverId={props.serverId} notice={props.notice}>
    <p>Sign in with an API token of role admin, operator or viewer (the same tokens as the API and npx tandem).</p>
    <form method="post" action={SIGN_IN_PATH} aria-label="Sign in">
      <input type="hidden" name={CSRF_FIELD} value={props.secret} />
      <input type="hidden" name="next" value={props.next} />
      <div class={`field${props.problem ? ' invalid' : ''}`}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required aria-invalid={props.problem ? 'true' : undefined} aria-describedby={props.problem ? 'token-error' : undefined} />
        {props.problem ? (
          <p class="error" id="token-error">
            {props.problem}
          </p>
        ) : null}
      </div>
      <button type="submit">Sign in</button>
    </form>
  </Page>
);

/** Sign-in (an API token exchanged for a session cookie) and sign-out. */
export function mountSignIn(app: Hono<DashboardEnv>, table: RouteTable): void {
  const showForm = (c: Context<DashboardEnv>, next: string, problem: string | null, status: number) => {
    const secret = generateToken();
    setSignInCookie(c, secret);
    return render(c, <SignInForm serverId={c.var.deps.serverId} secret={secret} next={safeNext(next)} problem={problem} notice={c.req.query('notice')} />, status);
  };

  declarePage(app, table, { method: 'get', path: SIGN_IN_PATH, access: access.public }, async (c) => {
    const secret = readSessionCookie(c);
    if (secret && (await c.var.services.sessions.find(secret))) return seeOther(c, safeNext(c.req.query('next') ?? ''));
    return showForm(c, c.req.query('next') ?? '', null, 200);
  });

  declarePage(app, table, { method: 'post', path: SIGN_IN_PATH, access: access.public }, async (c) => {
    const form = await formOf(c);
    const next = text(form, 'next');
    // The form's secret must match the cookie set with it: another site cannot sign a browser in.
    const expected = readSignInCookie(c);
    if (!expected || !sameSecret(text(form, CSRF_FIELD), expected))
      return showForm(c, next, 'This sign-in form has expired or did not come from this server: try again.', 403);
    const { services, deps } = c.var;
    const source = clientAddress(c);
    const wait = services.failedAuthentications.wait(source);
    if (wait > 0) return showForm(c, next, `Too many failed sign-ins from ${source}; try again in ${wait} s.`, 429);
    const token = text(form, 'token');
    const principal = token ? await services.tokens.principalFor(token) : null;
    if (!principal) {
      services.failedAuthentications.note(source, token ? 'invalid_token' : 'unauthenticated', c.req.path);
      return showForm(c, next, token ? 'This token is unknown or has been revoked.' : 'Enter an API token.', 401);
    }
    if (!(access.read as readonly string[]).includes(principal.role))
      return showForm(c, next, `A ${principal.role} token cannot sign in to the dashboard: use an admin, operator or viewer token.`, 403);
    const { secret } = await services.sessions.start(principal, { serverId: deps.serverId, actor: actorOf(principal), at: deps.now() });
    setSessionCookie(c, secret);
    clearSignInCookie(c);
    return seeOther(c, safeNext(next));
  });

  declarePage(app, table, { method: 'post', path: '/dashboard/sign-out', access: access.read }, async (c) => {
    const { viewer, deps, services } = c.var;
    await services.sessions.end(viewer.session, { serverId: deps.serverId, actor: actorOf(viewer.session.principal), at: deps.now() });
    clearSessionCookie(c);
    return seeOther(c, withNotice(SIGN_IN_PATH, 'signed-out'));
  });
}
