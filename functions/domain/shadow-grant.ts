import { z } from 'zod';
import { signedDocumentSchema, signDocument, verifyDocument, type SignedDocument } from './signing';

/**
 * A shadow grant: permission for one person to watch (or take over) one
 * terminal's session until a given time, signed by the server that issued it
 * (Ed25519, the server's own key, public at GET /api/v1/server). A relay or a
 * terminal verifies it offline with `verifyShadowGrant`.
 */
export const SHADOW_FORMAT = 'tandem-shadow/1';
export const shadowModes = ['view-only', 'interactive'] as const;

export const shadowGrantPayloadSchema = z
  .object({
    format: z.literal(SHADOW_FORMAT),
    grantId: z.string().min(1),
    /** Who issued it: the server's installation id and name. */
    installationId: z.string(),
    serverId: z.string(),
    terminal: z.object({ id: z.string(), mac: z.string(), name: z.string() }).strict(),
    /** Who may shadow: the actor that asked, e.g. `operator:alice`. */
    grantedTo: z.string(),
    mode: z.enum(shadowModes),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .strict();
export type ShadowGrantPayload = z.infer<typeof shadowGrantPayloadSchema>;
export type ShadowGrant = SignedDocument<ShadowGrantPayload>;

export const shadowGrantSchema = signedDocumentSchema;

export function shadowGrantPayload(input: Omit<ShadowGrantPayload, 'format' | 'issuedAt' | 'expiresAt'> & { now: Date; ttlSeconds: number }): ShadowGrantPayload {
  const { now, ttlSeconds, ...rest } = input;
  return { format: SHADOW_FORMAT, ...rest, issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString() };
}

export const signShadowGrant = (payload: ShadowGrantPayload, serverKey: CryptoKey): Promise<ShadowGrant> => signDocument(payload, serverKey);

export type ShadowVerdict =
  | { ok: true; grant: ShadowGrantPayload }
  | { ok: false; reason: 'malformed' | 'signature' | 'not-yet-valid' | 'expired' | 'other-terminal' };

/**
 * Offline check of a shadow grant against the issuing server's public key at
 * `now`; with `mac`, also that it is for that terminal. `skewSeconds` tolerates a
 * verifier whose clock is a little behind the issuing server's.
 */
export async function verifyShadowGrant(grant: unknown, serverPublicKey: CryptoKey, now: Date, mac?: string, skewSeconds = 60): Promise<ShadowVerdict> {
  const shape = shadowGrantSchema.safeParse(grant);
  if (!shape.success) return { ok: false, reason: 'malformed' };
  if (!(await verifyDocument(shape.data, serverPublicKey))) return { ok: false, reason: 'signature' };
  const payload = shadowGrantPayloadSchema.safeParse(shape.data.payload);
  if (!payload.success) return { ok: false, reason: 'malformed' };
  const at = now.getTime();
  if (at + skewSeconds * 1000 < Date.parse(payload.data.issuedAt)) return { ok: false, reason: 'not-yet-valid' };
  if (at >= Date.parse(payload.data.expiresAt)) return { ok: false, reason: 'expired' };
  if (mac !== undefined && mac !== payload.data.terminal.mac) return { ok: false, reason: 'other-terminal' };
  return { ok: true, grant: payload.data };
}
