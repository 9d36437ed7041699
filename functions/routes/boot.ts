import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { pendingTerminals, resolvedConfigs, terminalLeases, terminalStatus } from '../../db/schema';
import { bootDocumentSchema } from '../domain/boot-document';
import { DomainError } from '../domain/errors';
import { parseMac } from '../domain/mac';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import { bootDocumentsOf } from '../services/boot-documents';
import { licensingOf } from '../services/license';

const macParam = z.object({ mac: z.string().max(64) });

export function requireMac(text: string): string {
  const mac = parseMac(text);
  if (!mac) throw new DomainError(400, 'invalid_mac', `"${text}" is not a MAC address; use aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabbccddeeff.`, { field: 'mac' });
  return mac;
}

/** The API relays use: resolved boot documents, and check-ins after each boot. */
export function mountBoot(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/boot/terminals/{mac}',
      access: access.boot,
      summary: "A terminal's resolved configuration; strong ETag, 304 on If-None-Match",
      tags: ['boot'],
      request: { params: macParam },
      responses: {
        200: { description: 'The boot document', content: { 'application/json': { schema: bootDocumentSchema } } },
        304: { description: 'Unchanged since the ETag sent' },
        400: { description: 'Not a MAC address' },
        403: { description: 'license_exhausted, license_expired, redundancy_not_licensed, or a licence that does not hold on this server' },
        404: { description: 'unknown_terminal: recorded as a pending terminal' },
      },
    },
    async (c) => {
      const mac = requireMac(c.req.valid('param').mac);
      const { db, now } = c.var.deps;
      const relayId = c.req.header('x-tandem-relay') ?? null;
      const licensing = licensingOf(c.var.deps);
      // The hot path of a leased terminal on Node: the licence, its lease and its document from memory.
      const cached = licensing.cachedState();
      const state = cached ? licensing.refuseUnlessServing(cached) : await licensing.assertServesTerminals();
      // On Workers one read brings the document and its lease.
      const row =
        licensing.leases.view === 'database'
          ? await db.orm
              .select({ document: resolvedConfigs.document, configVersion: resolvedConfigs.configVersion, leaseExpiresAt: terminalLeases.expiresAt })
              .from(resolvedConfigs)
              .leftJoin(terminalLeases, eq(terminalLeases.mac, resolvedConfigs.mac))
              .where(eq(resolvedConfigs.mac, mac))
              .get()
          : await bootDocumentsOf(db).read(mac);
      if (!row) {
        await notePendingTerminal(c.var.deps, mac, relayId, now());
        throw new DomainError(404, 'unknown_terminal', `Terminal ${mac} is not configured; it is listed under pending terminals for an admin to configure.`, { mac });
      }
      if (!licensing.holdsLeaseInView(mac)) await licensing.admit(state, mac, relayId, 'leaseExpiresAt' in row ? (row.leaseExpiresAt as number | null) : undefined);
      const etag = `"${row.configVersion}"`;
      if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, { ETag: etag });
      return c.body(row.document, 200, { ETag: etag, 'Content-Type': 'application/json' });
    },
  );

  declareRoute(
    app,
    table,
    {
      method: 'post',
      path: '/api/v1/boot/checkins',
      access: access.boot,
      summary: 'A relay reports that a terminal booted; renews its terminal-connection lease',
      tags: ['boot'],
      request: {
        body: jsonBody(z.object({
          mac: z.string(),
          relayId: z.string().min(1).max(128),
          firmwareVersion: z.string().max(64).nullable().default(null),
          source: z.enum(['live', 'cache']),
        })),
      },
      responses: { 204: { description: 'Recorded; the Tandem-Lease header says whether the terminal\'s lease was renewed, granted or refused' } },
    },
    async (c) => {
      const body = c.req.valid('json');
      const mac = requireMac(body.mac);
      const { db, now } = c.var.deps;
      const at = now();
      const licensing = licensingOf(c.var.deps);
      const mayRenew = await licensing.mayRenew();
      const row = { mac, lastBootAt: at.toISOString(), relayId: body.relayId, firmwareVersion: body.firmwareVersion, source: body.source };
      // The check-in renews the terminal's lease in the same transaction that records the boot.
      const renewedUntil = await db.write(async (tx) => {
        await tx.insert(terminalStatus).values(row).onConflictDoUpdate({ target: terminalStatus.mac, set: row });
        return mayRenew ? licensing.leases.renewIn(tx, mac, body.relayId, at) : null;
      });
      const lease = await licensing.afterCheckIn(mac, body.relayId, renewedUntil, async () =>
        Boolean(await db.orm.select({ mac: resolvedConfigs.mac }).from(resolvedConfigs).where(eq(resolvedConfigs.mac, mac)).get()),
      );
      return c.body(null, 204, { 'Tandem-Lease': lease });
    },
  );
}

export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

async function notePendingTerminal(deps: AppEnv['Variables']['deps'], mac: string, relayId: string | null, at: Date): Promise<void> {
  const seen = at.toISOString();
  await deps.db.write((tx) =>
    tx
      .insert(pendingTerminals)
      .values({ mac, firstSeen: seen, lastSeen: seen, relayId })
      .onConflictDoUpdate({
        target: pendingTerminals.mac,
        set: { lastSeen: seen, relayId: sql`coalesce(${relayId}, ${pendingTerminals.relayId})`, requestCount: sql`${pendingTerminals.requestCount} + 1` },
      }),
  );
}
