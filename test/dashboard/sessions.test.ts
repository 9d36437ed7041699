import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, SESSION_LIFETIME_MS } from '../../functions/domain/dashboard-session';
import { dashboardClient, signedIn, signIn, type Send } from '../support/dashboard-client';
import { inProcessHandler } from '../support/in-process';
import { testClock } from '../support/licensing';

/**
 * Dashboard sessions on the real app and a real database, under a clock the test moves: the
 * cookie's attributes, expiry, sign-out, a revoked token, and what a refused sign-in says.
 */
describe('dashboard sessions', () => {
  const clock = testClock();
  let h: Awaited<ReturnType<typeof inProcessHandler>>;
  const send: Send = (path, init) => h.app.request(path, init);
  const overHttps: Send = (path, init) => h.app.request(`https://tandem.plant${path}`, init);
  const minutes = (n: number) => clock.advance(n * 60);
  const token = async (role: string, name: string) => (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role, name } })).body.token as string;

  beforeAll(async () => {
    h = await inProcessHandler({ now: clock.now });
  });
  afterAll(() => h?.close());

  it('exchanges a token for an HttpOnly, SameSite=Strict cookie; over https Secure, with the __Host- prefix', async () => {
    const form = await send('/dashboard/sign-in', { method: 'GET', headers: {} });
    expect(form.headers.get('content-security-policy')).toContain("script-src 'self'");
    const plain = await signIn(send, h.adminToken);
    expect(plain).not.toBeInstanceOf(Response);
    const answer = await (async () => {
      const page = await overHttps('/dashboard/sign-in', { method: 'GET', headers: {} });
      const cookie = page.headers.getSetCookie()[0].split(';')[0];
      expect(cookie).toMatch(/^__Host-tandem_sign_in=/);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
      return overHttps('/dashboard/sign-in', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, token: h.adminToken, next: '/dashboard/terminals' }).toString(),
      });
    })();
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/dashboard/terminals');
    const session = answer.headers.getSetCookie().find((c) => c.startsWith('__Host-tandem_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; Path=\//);
    expect(session).toMatch(new RegExp(`; Max-Age=${SESSION_LIFETIME_MS / 1000}`));
    const plainCookie = (await send('/dashboard/sign-in', { method: 'GET', headers: {} })).headers.getSetCookie()[0];
    expect(plainCookie).not.toMatch(/Secure/);
  });

  it('refuses a sign-in without the form it came with, a wrong token, and a relay token, with a sentence', async () => {
    const noForm = await send('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: h.adminToken }).toString(),
    });
    expect(noForm.status).toBe(403);
    expect(await noForm.text()).toContain('This sign-in form has expired or did not come from this server');
    const wrong = (await signIn(send, 'tdm_not_a_token')) as Response;
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('This token is unknown or has been revoked.');
    const relay = (await signIn(send, await token('relay', 'relay-x'))) as Response;
    expect(relay.status).toBe(403);
    expect(await relay.text()).toContain('A relay token cannot sign in to the dashboard');
  });

  it('ends a session left idle, and any session after its lifetime', async () => {
    const idle = await signedIn(send, h.adminToken);
    minutes(SESSION_IDLE_MS / 60_000 - 1);
    expect((await idle.get('/dashboard')).status).toBe(200);
    minutes(SESSION_IDLE_MS / 60_000 - 1);
    // Used a minute before the idle limit: still there.
    expect((await idle.get('/dashboard')).status).toBe(200);
    minutes(SESSION_IDLE_MS / 60_000 + 1);
    const ended = await idle.get('/dashboard');
    expect(ended.status).toBe(303);
    expect(ended.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard');

    // Used every half hour: never idle, yet over after its lifetime.
    const busy = await signedIn(send, h.adminToken);
    const lifetime = SESSION_LIFETIME_MS / 60_000;
    for (let used = 30; used < lifetime; used += 30) {
      minutes(30);
      expect((await busy.get('/dashboard/terminals')).status, `after ${used} minutes`).toBe(200);
    }
    minutes(30);
    expect((await busy.get('/dashboard/terminals')).status).toBe(303);
  });

  it('ends the session on sign-out, here, even for a copy of the cookie', async () => {
    const session = await signedIn(send, h.adminToken);
    const copy = dashboardClient(send, session.cookie, session.csrf);
    const out = await session.post('/dashboard/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/dashboard/sign-in?notice=signed-out');
    expect(out.headers.getSetCookie().some((c) => /^tandem_session=;/.test(c))).toBe(true);
    expect((await copy.get('/dashboard')).status).toBe(303);
    const post = await copy.post('/dashboard/groups', { name: 'after-sign-out' });
    expect(post.status).toBe(401);
    expect(await post.text()).toContain('Your session has ended');
  });

  it("ends a token's sessions when the token is revoked", async () => {
    const operatorToken = await token('operator', 'operator-revoked');
    const session = await signedIn(send, operatorToken);
    expect((await session.get('/dashboard/terminals')).status).toBe(200);
    const tokens = (await h.request('GET', '/api/v1/tokens', { token: h.adminToken })).body.items as { id: string; name: string }[];
    const id = tokens.find((t) => t.name === 'operator-revoked')!.id;
    expect((await h.request('DELETE', `/api/v1/tokens/${id}`, { token: h.adminToken })).status).toBe(204);
    expect((await session.get('/dashboard/terminals')).status).toBe(303);
  });

  it('refuses every post without its CSRF token, and changes nothing', async () => {
    const session = await signedIn(send, h.adminToken);
    const forged = await session.post('/dashboard/groups', { name: 'forged' }, { csrf: false });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form did not come from this dashboard page');
    const otherSession = await signedIn(send, h.adminToken);
    const crossed = await dashboardClient(send, session.cookie, otherSession.csrf).post('/dashboard/groups', { name: 'crossed' });
    expect(crossed.status).toBe(403);
    expect((await h.request('GET', '/api/v1/groups', { token: h.adminToken })).body.total).toBe(0);
    expect((await session.post('/dashboard/groups', { name: 'real' })).status).toBe(303);
    expect((await h.request('GET', '/api/v1/groups', { token: h.adminToken })).body.total).toBe(1);
  });

  it('records sign-ins and sign-outs in the event log, never with the token', async () => {
    const events = (await h.request('GET', '/api/v1/audit-events?entity=token&limit=100', { token: h.adminToken })).body.items as { action: string; actor: string }[];
    expect(events.filter((e) => e.action === 'dashboard.sign_in').length).toBeGreaterThan(3);
    expect(events.some((e) => e.action === 'dashboard.sign_out')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(h.adminToken);
  });
});
