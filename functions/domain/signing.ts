import { z } from 'zod';
import { canonicalJson } from './canonical-json';

/**
 * Ed25519 signatures through WebCrypto, so that the same code runs on Node and on
 * Workers. Keys travel as text:
 * - a public key is its 32 raw bytes in base64url (43 characters);
 * - a private key is PKCS#8 DER, in base64url or as a PEM block ("BEGIN PRIVATE KEY",
 *   the form `openssl genpkey -algorithm ed25519` writes).
 *
 * A signed document is `{ "payload": {…}, "signature": "<base64url>" }`; the
 * signature covers the UTF-8 bytes of `canonicalJson(payload)`.
 */
const ED25519 = { name: 'Ed25519' } as const;

export const signedDocumentSchema = z.object({
  payload: z.record(z.string(), z.unknown()),
  signature: z.string().min(1).max(200),
});
export type SignedDocument<P = Record<string, unknown>> = { payload: P; signature: string };

export function toBase64Url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Accepts base64url and standard base64, with or without padding; null when it is neither. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  const clean = text.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) return null;
  const binary = atob(clean + '='.repeat((4 - (clean.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

export class KeyFormatError extends Error {}

export async function importPublicKey(text: string): Promise<CryptoKey> {
  const raw = fromBase64Url(text);
  if (!raw || raw.length !== 32) throw new KeyFormatError('an Ed25519 public key is 32 bytes in base64url (43 characters)');
  return crypto.subtle.importKey('raw', raw, ED25519, true, ['verify']);
}

export async function importPrivateKey(text: string): Promise<CryptoKey> {
  const body = text.includes('-----BEGIN') ? text.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '') : text;
  const der = fromBase64Url(body);
  if (!der) throw new KeyFormatError('an Ed25519 private key is PKCS#8, as base64url or a PEM "PRIVATE KEY" block');
  try {
    return await crypto.subtle.importKey('pkcs8', der, ED25519, true, ['sign']);
  } catch {
    throw new KeyFormatError('the private key is not an Ed25519 PKCS#8 key');
  }
}

export interface KeyPairText {
  /** base64url of the 32 raw bytes. */
  publicKey: string;
  /** base64url of PKCS#8 DER. */
  privateKey: string;
}

export async function generateKeyPair(): Promise<KeyPairText> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    publicKey: toBase64Url(new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer)),
    privateKey: toBase64Url(new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer)),
  };
}

export function privateKeyPem(privateKey: string): string {
  const b64 = btoa(String.fromCharCode(...fromBase64Url(privateKey)!));
  return `-----BEGIN PRIVATE KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A short, stable name for a public key: the first 16 hex digits of its SHA-256. */
export async function keyFingerprint(publicKey: string): Promise<string> {
  const raw = fromBase64Url(publicKey) ?? new Uint8Array();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function signDocument<P extends Record<string, unknown>>(payload: P, privateKey: CryptoKey): Promise<SignedDocument<P>> {
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  const signature = new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, bytes));
  return { payload, signature: toBase64Url(signature) };
}

/** True when the signature is a valid Ed25519 signature of the canonical payload under this key. */
export async function verifyDocument(document: SignedDocument<unknown>, publicKey: CryptoKey): Promise<boolean> {
  const signature = fromBase64Url(document.signature);
  if (!signature || signature.length !== 64) return false;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new TextEncoder().encode(canonicalJson(document.payload)) as Uint8Array<ArrayBuffer>;
  } catch {
    return false;
  }
  return crypto.subtle.verify(ED25519, publicKey, signature, bytes);
}
