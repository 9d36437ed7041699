import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { terminals } from '../../db/schema';
import { notFound } from '../domain/errors';
import { servingRefusal } from '../domain/license';
import { parseMac } from '../domain/mac';
import { shadowGrantPayload, signShadowGrant, type shadowModes } from '../domain/shadow-grant';
import { recordAudit } from './audit';
import type { Licensing } from './license';
import type { ChangeContext } from './record-change';
import type { ServerIdentityStore } from './server-identity';

/**
 * Grants one person a signed, short-lived permission to shadow a terminal (by id or MAC): refused
 * where the server may not serve terminals, audited, verifiable offline with the server's key.
 */
export async function grantShadow(
  parts: { db: Database; role: 'primary' | 'secondary'; licensing: Licensing; identity: ServerIdentityStore },
  ctx: ChangeContext,
  request: { terminal: string; mode: (typeof shadowModes)[number]; ttlSeconds: number },
) {
  const { db, licensing } = parts;
  const refusal = servingRefusal(await licensing.state(), parts.role);
  if (refusal) throw refusal;
  const mac = parseMac(request.terminal);
  const terminal =
    (await db.orm.select().from(terminals).where(eq(terminals.id, request.terminal)).get()) ??
    (mac ? await db.orm.select().from(terminals).where(eq(terminals.mac, mac)).get() : undefined);
  if (!terminal) throw notFound('terminal', request.terminal);
  const identity = await parts.identity.get();
  const payload = shadowGrantPayload({
    grantId: crypto.randomUUID(),
    installationId: identity.installationId,
    serverId: ctx.serverId,
    terminal: { id: terminal.id, mac: terminal.mac, name: terminal.name },
    grantedTo: ctx.actor,
    mode: request.mode,
    now: ctx.at,
    ttlSeconds: request.ttlSeconds,
  });
  const grant = await signShadowGrant(payload, identity.shadowSigningKey);
  await db.write((tx) => recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'shadow.grant', entity: 'terminal', entityId: terminal.id, after: payload }));
  return { grant, publicKey: identity.shadowPublicKey, expiresAt: payload.expiresAt };
}
