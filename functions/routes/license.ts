import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { notFound } from '../domain/errors';
import { DEMO_LICENSE_PUBLIC_KEY, expiryOf, licenseFileSchema, licensedTerminals } from '../domain/license';
import { access } from '../domain/roles';
import { shadowModes } from '../domain/shadow-grant';
import type { AppDeps } from '../deps';
import { requireMac } from '../domain/mac';
import { actorOf, type AppEnv } from '../http/context';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import type { Licensing } from '../services/license';
import { grantShadow } from '../services/shadow-grants';
import { pageQuery } from './paging';

const problem = { description: 'Problem document (RFC 9457)' };
const page = z.object(pageQuery);

/** What a shadow grant is asked with (the API's body, the dashboard's form). */
export const shadowRequest = z.object({ mode: z.enum(shadowModes).default('view-only'), ttlSeconds: z.number().int().min(30).max(3600).default(300) }).strict();

/** The server's identity, its licence with usage per server, leases, and shadow grants. */
export function mountLicense(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/server',
      access: access.identify,
      summary: "This server: installation id (what a licence binds to), role, redundancy mode, and the public key of its shadow grants",
      tags: ['licensing'],
    },
    async (c) => {
      const deps = c.var.deps;
      const { licensing } = c.var.services;
      const identity = await c.var.services.identity.get();
      const state = await licensing.state();
      return c.json({
        serverId: deps.serverId,
        role: deps.role,
        installationId: identity.installationId,
        installedAt: identity.createdAt,
        redundancyMode: state.mode,
        peerUrl: deps.peerUrl ?? null,
        shadowGrantKey: { algorithm: 'Ed25519', publicKey: identity.shadowPublicKey },
        licensePublicKey: { fingerprint: await licensing.publicKeyFingerprint(), demo: licensing.settings.publicKey === DEMO_LICENSE_PUBLIC_KEY },
      });
    },
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/license', access: access.read, summary: 'The installed licence, with usage per server (leases / licensed count)', tags: ['licensing'] },
    async (c) => c.json(await licenseView(c.var.deps, c.var.services.licensing)),
  );

  declareRoute(
    app,
    table,
    {
      method: 'put',
      path: '/api/v1/license',
      access: access.administer,
      writes: true,
      summary: 'Install or replace the licence: a signed licence file { payload, signature }',
      tags: ['licensing'],
      request: { body: jsonBody(licenseFileSchema) },
      responses: {
        200: { description: 'Installed; the licence view' },
        400: problem,
        422: { description: 'license_signature_invalid, license_malformed, license_wrong_installation, license_expired or license_inconsistent (naming the rule)' },
      },
    },
    async (c) => {
      await c.var.services.licensing.install(c.req.valid('json'), actorOf(c.var.principal));
      return c.json(await licenseView(c.var.deps, c.var.services.licensing));
    },
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/license/usage', access: access.readOrPeer, summary: "This server's leases in use against its licensed count (the peer shows it in its licence view)", tags: ['licensing'] },
    async (c) => c.json(await c.var.services.licensing.usage()),
  );

  declareRoute(
    app,
    table,
    { method: 'get', path: '/api/v1/leases', access: access.read, summary: "This server's terminal-connection leases", tags: ['licensing'], request: { query: page } },
    async (c) => {
      const { limit, offset } = c.req.valid('query');
      const leases = await c.var.services.licensing.leases.list({ limit, offset });
      return c.json({
        items: leases.items.map((l) => ({ ...l, expiresAt: new Date(l.expiresAt).toISOString() })),
        total: leases.total,
        limit,
        offset,
      });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'delete',
      path: '/api/v1/leases/{mac}',
      access: access.administer,
      writes: true,
      summary: "Revoke a terminal's lease on this server, freeing its connection at once",
      tags: ['licensing'],
      request: { params: z.object({ mac: z.string().max(64) }) },
      responses: { 204: { description: 'Revoked' }, 404: problem },
    },
    async (c) => {
      const mac = requireMac(c.req.valid('param').mac);
      if (!(await c.var.services.licensing.leases.revoke(mac, actorOf(c.var.principal)))) throw notFound('lease', mac);
      return c.body(null, 204);
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/terminals/{id}/shadow',
      access: access.configure,
      writes: true,
      summary: "Grant a short-lived, signed permission to shadow a terminal's session (view-only or interactive), verifiable offline",
      tags: ['terminals'],
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(shadowRequest),
      },
      responses: { 201: { description: 'The signed shadow grant' }, 403: problem, 404: problem },
    },
    async (c) => {
      const { db, role, serverId, now } = c.var.deps;
      const { licensing, identity } = c.var.services;
      const ctx = { serverId, actor: actorOf(c.var.principal), at: now() };
      const grant = await grantShadow({ db, role, licensing, identity }, ctx, { terminal: c.req.valid('param').id, ...c.req.valid('json') });
      return c.json(grant, 201);
    },
  );
}

type Usage = Awaited<ReturnType<Licensing['usage']>>;

/** The licence as an admin reads it: what it says, whether it holds here, and usage per server. */
export async function licenseView(deps: AppDeps, licensing: Licensing) {
  const state = await licensing.state();
  const health = await licensing.health();
  const self = await licensing.usage();
  const license = state.license;
  const peer = license && license.installations.length > 1 ? await askPeer<Usage>(deps, '/api/v1/license/usage') : null;
  const servers = license
    ? license.installations.map((i) => {
        const mine = i.id === self.installationId;
        const other = !mine && peer?.installationId === i.id ? peer : null;
        return {
          installationId: i.id,
          role: i.role,
          self: mine,
          serverId: mine ? self.serverId : (other?.serverId ?? null),
          licensed: licensedTerminals(license, i.role),
          leases: mine ? self.leases : (other?.leases ?? null),
          reachable: mine ? true : other !== null,
        };
      })
    : [{ installationId: self.installationId, role: self.role, self: true, serverId: self.serverId, licensed: self.licensed, leases: self.leases, reachable: true }];
  return {
    installed: state.record !== null,
    mode: state.mode,
    state: health.state,
    problem: state.problem ? { code: state.problem.code, detail: state.problem.detail } : null,
    license,
    expiry: license ? expiryOf(license, deps.now(), licensing.settings.graceDays) : null,
    version: state.record?.version ?? null,
    installedAt: state.record?.updatedAt ?? null,
    licensePublicKey: { fingerprint: await licensing.publicKeyFingerprint(), demo: licensing.settings.publicKey === DEMO_LICENSE_PUBLIC_KEY },
    leaseTtlSeconds: licensing.settings.leaseTtlSeconds,
    graceDays: licensing.settings.graceDays,
    servers,
    warnings: health.warnings,
  };
}

/** The peer's answer to a GET its peer token may make (its usage, its identity); null when it does not answer within a moment. */
export async function askPeer<T>(deps: AppDeps, path: string): Promise<T | null> {
  if (!deps.peerUrl || !deps.peerToken) return null;
  try {
    const res = await (deps.peerFetch ?? fetch)(String(new URL(path, deps.peerUrl)), {
      headers: { authorization: `Bearer ${deps.peerToken}` },
      signal: AbortSignal.timeout(1500),
    });
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}
