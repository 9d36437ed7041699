import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { etag } from 'hono/etag';
import { terminalStatus } from '../../db/schema';
import { bootSources } from '../../db/enums';
import { bootDocumentSchema } from '../domain/boot-document';
import { BOOT_FEED_MAX_PAGE, bootFeedPageSchema, formatFeedCursor, parseFeedCursor } from '../domain/boot-feed';
import { DomainError } from '../domain/errors';
import { requireMac } from '../domain/mac';
import { access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import type { Principal } from '../services/token-auth';
import { declareRoute, jsonBody, type RouteTable } from '../http/route';
import { notePendingTerminal } from '../services/pending-terminals';

const macParam = z.object({ mac: z.string().max(64) });

/**
 * Which relay asks: the name of the relay token it authenticated with. What a relay says of
 * itself (`x-tandem-relay`, a check-in's `relayId`) is not trusted: one relay's token cannot
 * record boots, pending terminals or leases in another relay's name.
 */
const relayIdentity = (principal: Principal | null) => principal!.name;
/** The API relays use: resolved boot documents (one, or all of them as a feed), and check-ins after each boot. */
export function mountBoot(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/boot/documents',
      access: access.boot,
      summary: "Every terminal's boot document, then what changed: pages after a cursor, for a relay's last-known-good cache",
      tags: ['boot'],
      request: {
        query: z.object({
          after: z.string().max(200).optional().openapi({ description: 'The cursor of the last page seen; without one (or with one of another database) the walk starts over (reset)' }),
          limit: z.coerce.number().int().min(1).max(BOOT_FEED_MAX_PAGE).default(500),
        }),
      },
      responses: {
        200: { description: 'Documents and removed MACs after the cursor, oldest change first', content: { 'application/json': { schema: bootFeedPageSchema } } },
        403: { description: 'redundancy_not_licensed, license_expired, or a licence that does not hold on this server' },
      },
    },
    async (c) => {
      const { after, limit } = c.req.valid('query');
      const { licensing, bootDocuments, identity } = c.var.services;
      const cached = licensing.cachedState();
      if (cached) licensing.refuseUnlessServing(cached);
      else await licensing.assertServesTerminals();
      // A copied database file keeps its installation id; the server id tells the copies apart.
      const database = `${c.var.deps.serverId}.${(await identity.get()).installationId}`;
      const asked = after === undefined ? null : parseFeedCursor(after);
      if (after !== undefined && !asked) throw new DomainError(400, 'invalid_field', 'after: not a cursor this API gave', { field: 'after' });
      // Another database's cursor, or one past this feed's end (a database restored from a backup): start over.
      const reset = !asked || asked.database !== database || asked.seq > (await bootDocuments.feedHead());
      const changes = await bootDocuments.feedChanges(reset ? 0 : asked.seq, limit);
      // The documents are stored as JSON text: spliced in, not parsed and written again.
      const head = { cursor: formatFeedCursor({ database, seq: changes.seq }), reset, more: changes.more, removed: changes.removed };
      return c.body(`${JSON.stringify(head).slice(0, -1)},"documents":[${changes.documents.join(',')}]}`, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    },
  );

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
      middleware: [etag()],
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
      const { licensing, bootDocuments } = c.var.services;
      const relayId = relayIdentity(c.var.principal);
      // The hot path of a leased terminal on Node: the licence, its lease and its document from memory.
      const cached = licensing.cachedState();
      const state = cached ? licensing.refuseUnlessServing(cached) : await licensing.assertServesTerminals();
      const row = await bootDocuments.read(mac);
      if (!row) {
        await notePendingTerminal(db, mac, relayId, now());
        throw new DomainError(404, 'unknown_terminal', `Terminal ${mac} is not configured; it is listed under pending terminals for an admin to configure.`, { mac });
      }
      if (!licensing.holdsLeaseInView(mac)) await licensing.admit(state, mac, relayId, row.leaseExpiresAt);
      // hono's etag middleware answers 304 to a matching If-None-Match.
      return c.body(row.document, 200, { ETag: `"${row.configVersion}"`, 'Content-Type': 'application/json' });
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
          relayId: z.string().min(1).max(128).openapi({ description: 'What the relay calls itself; the record names the relay token instead' }),
          firmwareVersion: z.string().max(64).nullable().default(null),
          source: z.enum(bootSources),
        })),
      },
      responses: { 204: { description: 'Recorded; the Tandem-Lease header says whether the terminal\'s lease was renewed, granted or refused' } },
    },
    async (c) => {
      const body = c.req.valid('json');
      const mac = requireMac(body.mac);
      const { db, now } = c.var.deps;
      const { licensing, bootDocuments } = c.var.services;
      const at = now();
      const mayRenew = await licensing.mayRenew();
      const relayId = relayIdentity(c.var.principal);
      const row = { mac, lastBootAt: at.toISOString(), relayId, firmwareVersion: body.firmwareVersion, source: body.source };
      // The check-in renews the terminal's lease in the same transaction that records the boot.
      const renewedUntil = await db.write(async (tx) => {
        await tx.insert(terminalStatus).values(row).onConflictDoUpdate({ target: terminalStatus.mac, set: row });
        return mayRenew ? licensing.leases.renewIn(tx, mac, relayId, at) : null;
      });
      const lease = await licensing.afterCheckIn(mac, relayId, renewedUntil, () => bootDocuments.exists(mac));
      return c.body(null, 204, { 'Tandem-Lease': lease });
    },
  );
}
