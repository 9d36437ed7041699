import { consistencyViolations, LICENSE_FORMAT, licensePayloadSchema, type LicenseFile, type LicensePayload, type ProductLicense, type Redundancy } from '../../functions/domain/license';
import { importPrivateKey, signDocument } from '../../functions/domain/signing';

/** What the vendor decides when issuing a licence; the rest has defaults. */
export interface LicenseOrder {
  customer: string;
  redundancy: Redundancy;
  edition?: 'standard' | 'enterprise';
  /** Installation ids, as each server shows them at GET /api/v1/server. */
  primary: string;
  secondary?: string;
  products: ProductLicense[];
  /** null: perpetual. */
  expiresAt: Date | null;
  issuedAt?: Date;
  licenseId?: string;
}

export function licensePayload(order: LicenseOrder): LicensePayload {
  const issuedAt = order.issuedAt ?? new Date();
  return licensePayloadSchema.parse({
    format: LICENSE_FORMAT,
    licenseId: order.licenseId ?? `LIC-${issuedAt.toISOString().slice(0, 10).replace(/-/g, '')}-${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
    customer: order.customer,
    edition: order.edition ?? 'standard',
    redundancy: order.redundancy,
    installations: [{ id: order.primary, role: 'primary' }, ...(order.secondary ? [{ id: order.secondary, role: 'secondary' as const }] : [])],
    products: order.products,
    issuedAt: issuedAt.toISOString(),
    expiresAt: order.expiresAt ? order.expiresAt.toISOString() : null,
  });
}

/**
 * Signs a licence with the vendor's private key (PKCS#8, PEM or base64url).
 * Refuses an inconsistent licence unless asked not to: a handler would refuse it anyway.
 */
export async function issueLicense(order: LicenseOrder, privateKey: string, options: { allowInconsistent?: boolean } = {}): Promise<LicenseFile> {
  const payload = licensePayload(order);
  const violations = consistencyViolations(payload);
  if (violations.length && !options.allowInconsistent)
    throw new Error(`the licence would be refused: ${violations.map((v) => `${v.rule}: ${v.detail}`).join('; ')}`);
  return signDocument(payload, await importPrivateKey(privateKey));
}

/** Parses `terminal-connection:50@primary`, `redundant-terminal-connection:100`, `mirrored-terminal-connection:20`. */
export function parseProduct(text: string): ProductLicense {
  const match = /^([a-z-]+):(\d+)(?:@(primary|secondary))?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a product licence; write e.g. terminal-connection:50@primary or redundant-terminal-connection:100`);
  const [, product, quantity, appliesTo] = match;
  const q = Number(quantity);
  if (product === 'terminal-connection') {
    if (!appliesTo) throw new Error(`"${text}": a terminal-connection licence is applied to a server: add @primary or @secondary`);
    return { product, quantity: q, appliesTo: appliesTo as 'primary' | 'secondary' };
  }
  if (appliesTo) throw new Error(`"${text}": only terminal-connection licences are applied to one server`);
  if (product === 'redundant-terminal-connection' || product === 'mirrored-terminal-connection') return { product, quantity: q };
  throw new Error(`"${product}" is not a product; the products are terminal-connection, redundant-terminal-connection, mirrored-terminal-connection`);
}
