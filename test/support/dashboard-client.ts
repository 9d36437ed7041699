/**
 * A dashboard client without a browser: signs in with an API token as the sign-in form does
 * (its CSRF cookie and field), then gets pages and posts forms with the session cookie and the
 * page's CSRF token. Over a socket (fetch), into an app (`app.request`) or into workerd.
 */
export type Send = (path: string, init: { method: string; headers: Record<string, string>; body?: string; redirect?: 'manual' }) => Promise<Response> | Response;

export interface DashboardClient {
  cookie: string;
  csrf: string;
  get: (path: string) => Promise<Response>;
  /** Posts a form; `csrf: false` leaves the token out. */
  post: (path: string, fields?: Record<string, string | string[]>, options?: { csrf?: boolean }) => Promise<Response>;
}

const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !c.endsWith('='))
    .join('; ');

export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

export function formBody(fields: Record<string, string | string[]>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return body.toString();
}

/** Signs in; returns the client, or the answer that refused the token. */
export async function signIn(send: Send, token: string): Promise<DashboardClient | Response> {
  const form = await send('/dashboard/sign-in', { method: 'GET', headers: {}, redirect: 'manual' });
  const formCookie = cookiesOf(form);
  const answer = await send('/dashboard/sign-in', {
    method: 'POST',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody({ _csrf: csrfOf(await form.text()), token, next: '/dashboard' }),
    redirect: 'manual',
  });
  if (answer.status !== 303) return answer;
  const cookie = cookiesOf(answer);
  const overview = await send('/dashboard', { method: 'GET', headers: { cookie }, redirect: 'manual' });
  return dashboardClient(send, cookie, csrfOf(await overview.text()));
}

export function dashboardClient(send: Send, cookie: string, csrf: string): DashboardClient {
  return {
    cookie,
    csrf,
    get: async (path) => send(path, { method: 'GET', headers: { cookie }, redirect: 'manual' }),
    post: async (path, fields = {}, options = {}) =>
      send(path, {
        method: 'POST',
        // The token as a form sends it, and as the page's script sends it (in a header).
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...(options.csrf === false ? {} : { 'x-csrf-token': csrf }) },
        body: formBody({ ...(options.csrf === false ? {} : { _csrf: csrf }), ...fields }),
        redirect: 'manual',
      }),
  };
}

/** Signs in or fails the test. */
export async function signedIn(send: Send, token: string): Promise<DashboardClient> {
  const client = await signIn(send, token);
  if (client instanceof Response) throw new Error(`sign-in refused: ${client.status} ${await client.text()}`);
  return client;
}
