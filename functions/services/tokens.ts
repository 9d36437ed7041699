import { and, count, eq, isNull } from 'drizzle-orm';
import { noteForCommit, type Database, type Tx } from '../../db/database';
import { apiTokens, tokenRevocations } from '../../db/schema';
import { conflict } from '../domain/errors';
import type { Role } from '../domain/roles';
import { generateToken, hashToken } from '../domain/token';
import { recordAudit } from './audit';
import { writeRecord } from './write-record';

export interface IssuedToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  /** Shown once; only its hash is stored. */
  token: string;
}

export async function issueToken(
  tx: Tx,
  ctx: { serverId: string; actor: string; at: Date },
  input: { name: string; role: Role; token?: string },
): Promise<IssuedToken> {
  const token = input.token ?? generateToken();
  const row = {
    id: crypto.randomUUID(),
    name: input.name,
    role: input.role,
    tokenHash: await hashToken(token),
    createdAt: ctx.at.toISOString(),
    createdBy: ctx.actor,
  };
  const clash = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.name, input.name)).get();
  if (clash) throw conflict('duplicate', `A token named "${input.name}" already exists.`, { field: 'name' });
  const revoked = await tx.select({ id: tokenRevocations.id }).from(tokenRevocations).where(eq(tokenRevocations.tokenHash, row.tokenHash)).get();
  if (revoked) throw conflict('token_revoked', 'This token was revoked on this server or its peer; create a new token instead.', { field: 'token' });
  await tx.insert(apiTokens).values(row);
  noteForCommit(tx, 'tokens');
  await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'token.create', entity: 'token', entityId: row.id, after: { name: row.name, role: row.role } });
  return { id: row.id, name: row.name, role: row.role, createdAt: row.createdAt, token };
}

export async function revokeToken(tx: Tx, ctx: { serverId: string; actor: string; at: Date }, id: string): Promise<boolean> {
  const row = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
  if (!row || row.revokedAt) return false;
  if (row.role === 'admin') {
    const [{ n }] = await tx.select({ n: count() }).from(apiTokens).where(and(eq(apiTokens.role, 'admin'), isNull(apiTokens.revokedAt))).all();
    if (n <= 1) throw conflict('last_admin_token', 'This is the last admin token; create another admin token before revoking it.');
  }
  // A revocation record, synchronised like configuration: the same token is revoked on the peer.
  const at = ctx.at.toISOString();
  const revocation = { id: crypto.randomUUID(), version: 1, createdAt: at, updatedAt: at, tokenHash: row.tokenHash, name: row.name };
  const existing = await tx.select({ id: tokenRevocations.id }).from(tokenRevocations).where(eq(tokenRevocations.tokenHash, row.tokenHash)).get();
  if (existing) await tx.update(apiTokens).set({ revokedAt: at }).where(eq(apiTokens.id, id));
  else await writeRecord(tx, ctx, { entity: 'token-revocation', id: revocation.id, previous: null, next: revocation });
  noteForCommit(tx, 'tokens');
  return true;
}

/**
 * An empty database gets one admin token so that somebody can log in: the given
 * one (TANDEM_ADMIN_TOKEN) or a fresh one. Returns the token when it created one.
 */
export async function bootstrapAdminToken(db: Database, serverId: string, at: Date, token?: string): Promise<string | null> {
  return db.write(async (tx) => {
    const existing = await tx.select({ id: apiTokens.id }).from(apiTokens).limit(1).get();
    if (existing) {
      if (!token) return null;
      // An operator-supplied admin token is honoured even on a populated database.
      const hash = await hashToken(token);
      const known = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, hash)).get();
      if (known) return null;
      await issueToken(tx, { serverId, actor: 'system:bootstrap', at }, { name: `bootstrap-admin-${at.getTime()}`, role: 'admin', token });
      return token;
    }
    const issued = await issueToken(tx, { serverId, actor: 'system:bootstrap', at }, { name: 'bootstrap-admin', role: 'admin', token });
    return issued.token;
  });
}

/**
 * The pair's peer token (TANDEM_PEER_TOKEN) is also accepted here as a `peer`
 * token, so that two servers configured with the same value can pull from each
 * other without a manual token exchange. Returns true when it added it.
 */
export async function bootstrapPeerToken(db: Database, serverId: string, at: Date, token: string): Promise<boolean> {
  return db.write(async (tx) => {
    const hash = await hashToken(token);
    const known = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, hash)).get();
    if (known) return false;
    const taken = await tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.name, 'pair-peer')).get();
    await issueToken(tx, { serverId, actor: 'system:bootstrap', at }, { name: taken ? `pair-peer-${at.getTime()}` : 'pair-peer', role: 'peer', token });
    return true;
  });
}
