import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../functions/domain/roles';
import { signIn, signedIn, type DashboardClient, type Send } from '../support/dashboard-client';
import { inProcessHandler } from '../support/in-process';

/**
 * Walks every route of the app with every role and without a token. A route
 * added without declaring its roles is not in the route table and fails here.
 */
describe('route table × roles', () => {
  let h: Awaited<ReturnType<typeof inProcessHandler>>;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    h = await inProcessHandler();
    for (const role of roles) {
      const res = await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role, name: `walk-${role}` } });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
    }
  });
  afterAll(() => h?.close());

  const concrete = (path: string) => path.replace(/\{mac\}/g, 'aa:bb:cc:00:00:99').replace(/\{[^}]+\}/g, 'does-not-exist');

  it('declares roles for every route the app serves', () => {
    const declared = new Set(h.app.routeTable.map((r) => `${r.method.toUpperCase()} ${r.path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = h.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(20);
    for (const route of served) expect(declared, `${route} has no declared roles`).toContain(route);
  });

  it('lists every declared route in the OpenAPI document with its roles', async () => {
    const doc = (await h.request('GET', '/api/v1/openapi.json')).body;
    for (const route of h.app.routeTable) {
      if (route.path === '/api/v1/openapi.json' || route.auth === 'session') continue;
      const op = doc.paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path} missing from openapi.json`).toBeDefined();
      expect(op['x-roles']).toEqual(route.access);
    }
  });

  it('answers each role per the route declaration', async () => {
    for (const route of h.app.routeTable) {
      if (route.auth === 'session') continue;
      const path = concrete(route.path);
      const method = route.method.toUpperCase();
      const body = ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined;
      const anonymous = await h.request(method, path, { body });
      if (route.access === 'public') {
        expect([200, 304], `${method} ${path} anonymous`).toContain(anonymous.status);
        continue;
      }
      expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
      expect(anonymous.body.code).toBe('unauthenticated');
      const forged = await h.request(method, path, { body, token: 'tdm_forged' });
      expect(forged.status, `${method} ${path} forged token`).toBe(401);
      for (const role of roles) {
        const res = await h.request(method, path, { body, token: tokens[role] });
        if (route.access.includes(role)) {
          expect([401, 403], `${method} ${path} as ${role} (allowed) answered ${res.status}`).not.toContain(res.status);
          expect(res.status, `${method} ${path} as ${role}`).toBeLessThan(500);
        } else {
          expect(res.status, `${method} ${path} as ${role} (not allowed)`).toBe(403);
          expect(res.body.code).toBe('forbidden_role');
        }
      }
    }
  });

  /**
   * The dashboard's pages and form actions, by session: signed out, signed in with each role that
   * may sign in, and every post without its CSRF token.
   */
  it('answers each role on the dashboard per the page declaration, and refuses posts without their CSRF token', async () => {
    const send: Send = (path, init) => h.app.request(path, init);
    const sessions = {} as Record<Role, DashboardClient>;
    for (const role of roles) {
      const client = await signIn(send, tokens[role]);
      if (['admin', 'operator', 'viewer'].includes(role)) sessions[role] = await signedIn(send, tokens[role]);
      else {
        expect(client, `${role} signs in`).toBeInstanceOf(Response);
        expect((client as Response).status).toBe(403);
      }
    }
    const pages = h.app.routeTable.filter((r) => r.auth === 'session');
    expect(pages.length).toBeGreaterThan(40);
    // Signing out ends the session the walk uses: last.
    pages.sort((a, b) => Number(a.path === '/dashboard/sign-out') - Number(b.path === '/dashboard/sign-out'));
    for (const route of pages) {
      const path = concrete(route.path);
      const method = route.method.toUpperCase();
      const anonymous = await send(path, { method, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}, body: method === 'POST' ? '' : undefined });
      if (route.access === 'public') {
        if (method === 'GET') expect([200, 303], `${method} ${path} anonymous`).toContain(anonymous.status);
        else expect(anonymous.status, `${method} ${path} anonymous, no sign-in form secret`).toBe(403);
        continue;
      }
      if (method === 'GET') {
        expect(anonymous.status, `${method} ${path} signed out`).toBe(303);
        expect(anonymous.headers.get('location')).toMatch(/^\/dashboard\/sign-in\?next=/);
      } else expect(anonymous.status, `${method} ${path} signed out`).toBe(401);
      for (const role of Object.keys(sessions) as Role[]) {
        const session = sessions[role];
        if (method === 'POST') {
          const forged = await session.post(path, {}, { csrf: false });
          expect(forged.status, `${method} ${path} as ${role} without its CSRF token`).toBe(403);
          expect(await forged.text()).toMatch(route.access.includes(role) ? /did not come from this dashboard page/ : /may not use this page/);
        }
        const res = method === 'GET' ? await session.get(path) : await session.post(path, {});
        if (route.access.includes(role)) {
          expect([401, 403], `${method} ${path} as ${role} (allowed) answered ${res.status}`).not.toContain(res.status);
          expect(res.status, `${method} ${path} as ${role}`).toBeLessThan(500);
        } else {
          expect(res.status, `${method} ${path} as ${role} (not allowed)`).toBe(403);
          expect(await res.text()).toMatch(/may not use this page/);
        }
      }
    }
  });
});
