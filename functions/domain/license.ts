import { z } from 'zod';
import { DomainError } from './errors';
import { signedDocumentSchema, verifyDocument, type SignedDocument } from './signing';

/**
 * Licences, as plant licensing works: a master licence (customer, edition,
 * redundancy, the installations it binds, dates) holding product licences with
 * quantities. Pure: the clock, the keys and this server's identity are handed in.
 *
 * A licence file is a signed document (see signing.ts):
 *   { "payload": <LicensePayload>, "signature": "<Ed25519 over canonicalJson(payload), base64url>" }
 */
export const LICENSE_FORMAT = 'tandem-license/1';
/** The one licence record, a configuration record that synchronisation carries to the peer. */
export const LICENSE_ENTITY = 'license';
export const LICENSE_RECORD_ID = 'installed';
/** Without a licence a deployment runs in demo mode: one server, this many terminals. */
export const DEMO_TERMINALS = 5;
/**
 * The public half of the demo vendor key, so that the local system runs licensed on a
 * fresh clone. Its private half is in infra/demo/ for everyone to read, so a handler
 * trusts it only when told it is a demo system (TANDEM_DEMO=1); production sets the
 * vendor's own key.
 */
export const DEMO_LICENSE_PUBLIC_KEY = 'pHrUJKN6YYmThwyRAD-QoKc4hhLMl6DGGoLwrBlHVF4';
/** An expired licence keeps serving this long, with warnings: time for a purchase order to go through. */
export const DEFAULT_GRACE_DAYS = 30;
/**
 * What the customer's environment may change of the licence's terms. A lease shorter than an
 * hour lapses between a terminal's boots, so the licensed count would limit nothing; one longer
 * than 30 days pins a connection to a terminal long gone. The grace period may be shortened,
 * never lengthened.
 */
export const LEASE_TTL_LIMITS_SECONDS = { min: 3600, max: 30 * 86_400 } as const;
export const MAX_GRACE_DAYS = DEFAULT_GRACE_DAYS;

/**
 * Which key a server checks licences with: the vendor's, the published demo key (a demo
 * system), or none (no TANDEM_LICENSE_PUBLIC_KEY: demo mode only, every licence refused).
 */
export type LicenseKeyTrust = 'vendor' | 'demo' | 'none';

export const licenseKeyTrust = (publicKey: string | null): LicenseKeyTrust =>
  publicKey === null ? 'none' : publicKey === DEMO_LICENSE_PUBLIC_KEY ? 'demo' : 'vendor';

const NO_VENDOR_KEY =
  'TANDEM_LICENSE_PUBLIC_KEY is not set, so this server cannot check a licence: it runs in demo mode (one server, 5 terminals) and refuses every licence. Set it to your vendor\'s public key.';

/** What /healthz, the start-up log and the licence view say about the key; null for a vendor key. */
export function licenseKeyWarning(trust: LicenseKeyTrust): string | null {
  if (trust === 'demo')
    return 'license_demo_key: licences are checked with the demo key (TANDEM_DEMO=1), whose private half is published with Tandem: anyone can sign a licence this server accepts. Set TANDEM_LICENSE_PUBLIC_KEY to your vendor\'s key in production.';
  if (trust === 'none') return `license_key_not_configured: ${NO_VENDOR_KEY}`;
  return null;
}

export const redundancies = ['none', 'mirrored', 'full'] as const;
export type Redundancy = (typeof redundancies)[number];
/** What a server runs as: its licence's redundancy, or `demo` without a (verifiable) licence. */
export type RedundancyMode = 'demo' | Redundancy;
export const serverRoles = ['primary', 'secondary'] as const;
export type ServerRole = (typeof serverRoles)[number];

/** `TDM-` and four groups of four Crockford base32 digits: read out over a phone without ambiguity. */
export const installationIdSchema = z.string().regex(/^TDM(-[0-9A-HJKMNP-TV-Z]{4}){4}$/, 'an installation id like TDM-7K3Q-9XH2-M4PA-WZ6R');

const quantity = z.number().int().min(1).max(1_000_000);

export const productSchema = z.discriminatedUnion('product', [
  /** Counts on the one server it is applied to. */
  z.object({ product: z.literal('terminal-connection'), quantity, appliesTo: z.enum(serverRoles) }).strict(),
  /** Counts on both servers of a fully redundant pair. */
  z.object({ product: z.literal('redundant-terminal-connection'), quantity }).strict(),
  /** Counts on both servers of a mirrored pair. */
  z.object({ product: z.literal('mirrored-terminal-connection'), quantity }).strict(),
]);
export type ProductLicense = z.infer<typeof productSchema>;

export const licensePayloadSchema = z
  .object({
    format: z.literal(LICENSE_FORMAT),
    licenseId: z.string().min(1).max(100),
    customer: z.string().min(1).max(200),
    edition: z.enum(['standard', 'enterprise']),
    redundancy: z.enum(redundancies),
    installations: z.array(z.object({ id: installationIdSchema, role: z.enum(serverRoles) }).strict()).min(1).max(2),
    products: z.array(productSchema).min(1).max(50),
    issuedAt: z.iso.datetime({ offset: true }),
    /** null: perpetual. */
    expiresAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .strict();
export type LicensePayload = z.infer<typeof licensePayloadSchema>;

export const licenseFileSchema = signedDocumentSchema;
export type LicenseFile = { payload: LicensePayload; signature: string };

/** Every enterprise licence includes full redundancy. */
export const redundancyOf = (license: Pick<LicensePayload, 'edition' | 'redundancy'>): Redundancy =>
  license.edition === 'enterprise' ? 'full' : license.redundancy;

// ---------------------------------------------------------------- consistency

export const consistencyRules = {
  'expiry-after-issue': 'expiresAt must be later than issuedAt',
  'enterprise-includes-full': 'an enterprise licence has full redundancy',
  'installations-fit-redundancy': '`none` binds one primary installation; `mirrored` and `full` bind one primary and one secondary',
  'none-licenses-primary-only': '`none` licenses the primary only: terminal-connection licences applied to the primary',
  'full-needs-redundant-connections': 'full redundancy needs redundant-terminal-connection licences, or terminal-connection licences applied to both servers',
  'mirrored-needs-mirrored-connections': 'mirrored redundancy needs mirrored-terminal-connection licences',
  'products-fit-redundancy': 'redundant-terminal-connection belongs to a full licence, mirrored-terminal-connection to a mirrored one',
} as const;
export type ConsistencyRule = keyof typeof consistencyRules;
export interface Violation {
  rule: ConsistencyRule;
  detail: string;
}

/** The consistency rules a licence breaks; empty when it is consistent. */
export function consistencyViolations(license: LicensePayload): Violation[] {
  const found: Violation[] = [];
  const add = (rule: ConsistencyRule, detail: string = consistencyRules[rule]) => found.push({ rule, detail });
  const mode = redundancyOf(license);
  const has = (product: ProductLicense['product'], appliesTo?: ServerRole) =>
    license.products.some((p) => p.product === product && (appliesTo === undefined || (p.product === 'terminal-connection' && p.appliesTo === appliesTo)));

  if (license.expiresAt !== null && Date.parse(license.expiresAt) <= Date.parse(license.issuedAt))
    add('expiry-after-issue', `expiresAt ${license.expiresAt} is not later than issuedAt ${license.issuedAt}.`);
  if (license.edition === 'enterprise' && license.redundancy !== 'full')
    add('enterprise-includes-full', `An enterprise licence has full redundancy, but this one says "${license.redundancy}".`);

  const roles = license.installations.map((i) => i.role).sort();
  const ids = new Set(license.installations.map((i) => i.id));
  const pairOk = roles.length === 2 && roles[0] === 'primary' && roles[1] === 'secondary' && ids.size === 2;
  if (mode === 'none' ? !(roles.length === 1 && roles[0] === 'primary') : !pairOk)
    add(
      'installations-fit-redundancy',
      mode === 'none'
        ? `A licence without redundancy binds exactly one installation, as primary; this one binds ${describeInstallations(license)}.`
        : `A ${mode} licence binds two different installations, one primary and one secondary; this one binds ${describeInstallations(license)}.`,
    );

  if (mode === 'none' && license.products.some((p) => !(p.product === 'terminal-connection' && p.appliesTo === 'primary')))
    add('none-licenses-primary-only');
  if (mode === 'full' && !has('redundant-terminal-connection') && !(has('terminal-connection', 'primary') && has('terminal-connection', 'secondary')))
    add('full-needs-redundant-connections');
  if (mode === 'mirrored' && !has('mirrored-terminal-connection')) add('mirrored-needs-mirrored-connections');
  // (`none` has its own, stricter rule above.)
  if ((mode === 'mirrored' && has('redundant-terminal-connection')) || (mode === 'full' && has('mirrored-terminal-connection'))) add('products-fit-redundancy');
  return found;
}

const describeInstallations = (license: LicensePayload) => license.installations.map((i) => `${i.id} as ${i.role}`).join(' and ') || 'none';

// ---------------------------------------------------------------- counts

/** How many terminals the server in `role` may lease under this licence. */
export function licensedTerminals(license: LicensePayload, role: ServerRole): number {
  const mode = redundancyOf(license);
  if (mode === 'none' && role === 'secondary') return 0;
  let count = 0;
  for (const p of license.products) {
    if (p.product === 'terminal-connection' && p.appliesTo === role) count += p.quantity;
    if (p.product === 'redundant-terminal-connection' && mode === 'full') count += p.quantity;
    if (p.product === 'mirrored-terminal-connection' && mode === 'mirrored') count += p.quantity;
  }
  return count;
}

// ---------------------------------------------------------------- dates

export type ExpiryState = 'perpetual' | 'valid' | 'grace' | 'expired';
export interface Expiry {
  state: ExpiryState;
  expiresAt: string | null;
  /** When the grace period ends; null for a perpetual licence. */
  graceEndsAt: string | null;
}

const DAY_MS = 86_400_000;

/**
 * An expired licence keeps serving for `graceDays` (with warnings), then
 * refuses new leases. The licence is valid up to, not including, `expiresAt`.
 */
export function expiryOf(license: Pick<LicensePayload, 'expiresAt'>, now: Date, graceDays: number): Expiry {
  if (license.expiresAt === null) return { state: 'perpetual', expiresAt: null, graceEndsAt: null };
  const expires = Date.parse(license.expiresAt);
  const graceEnds = expires + graceDays * DAY_MS;
  const at = now.getTime();
  const state: ExpiryState = at < expires ? 'valid' : at < graceEnds ? 'grace' : 'expired';
  return { state, expiresAt: new Date(expires).toISOString(), graceEndsAt: new Date(graceEnds).toISOString() };
}

// ---------------------------------------------------------------- refusals

/** The problem documents of licensing; `status` is 422 when installing a licence, 403 when serving. */
export const licenseProblems = {
  signatureInvalid: (status = 403) =>
    new DomainError(status, 'license_signature_invalid', 'The licence signature does not verify with this server\'s licence public key (TANDEM_LICENSE_PUBLIC_KEY): the file was altered or signed by another key.'),
  demoKeyRefused: (status = 403) =>
    new DomainError(
      status,
      'license_demo_key_refused',
      'The licence is signed with the demo key, whose private half is published with Tandem (infra/demo/), so anyone can sign one; this server does not trust it. Install a licence signed with your vendor\'s key, set in TANDEM_LICENSE_PUBLIC_KEY (TANDEM_DEMO=1 only on a demo system).',
    ),
  noVendorKey: (status = 403) => new DomainError(status, 'license_key_not_configured', NO_VENDOR_KEY),
  malformed: (status: number, field: string, message: string) =>
    new DomainError(status, 'license_malformed', `The licence is not a ${LICENSE_FORMAT} licence file: ${field}: ${message}.`, { field }),
  wrongInstallation: (status: number, installationId: string, license: LicensePayload) =>
    new DomainError(
      status,
      'license_wrong_installation',
      `Licence ${license.licenseId} is bound to ${describeInstallations(license)}, not to this server's installation ${installationId}.`,
      { installationId, licensedInstallations: license.installations },
    ),
  wrongRole: (status: number, installationId: string, licensedRole: ServerRole, role: ServerRole, license: LicensePayload) =>
    new DomainError(
      status,
      'license_wrong_installation',
      `Licence ${license.licenseId} binds installation ${installationId} as the ${licensedRole}, but this server runs as the ${role} (TANDEM_ROLE).`,
      { installationId, licensedRole, role, licensedInstallations: license.installations },
    ),
  expired: (status: number, expiry: Expiry, license: LicensePayload) =>
    new DomainError(
      status,
      'license_expired',
      `Licence ${license.licenseId} expired at ${expiry.expiresAt} and its grace period ended at ${expiry.graceEndsAt}; install a renewed licence.`,
      { expiresAt: expiry.expiresAt, graceEndsAt: expiry.graceEndsAt },
    ),
  inconsistent: (status: number, violations: Violation[]) =>
    new DomainError(status, 'license_inconsistent', `The licence breaks the rule "${violations[0].rule}": ${violations[0].detail}`, {
      rule: violations[0].rule,
      violations,
    }),
  exhausted: (count: number, mode: RedundancyMode) =>
    new DomainError(
      403,
      'license_exhausted',
      mode === 'demo'
        ? `All ${count} terminal connections of demo mode are in use on this server; install a licence, or revoke a lease.`
        : `All ${count} licensed terminal connections of this server are in use; a lease frees when its terminal stops checking in, or when an admin revokes it.`,
      { count, mode },
    ),
  redundancyNotLicensed: (mode: RedundancyMode) =>
    new DomainError(
      403,
      'redundancy_not_licensed',
      mode === 'demo'
        ? 'This server is a secondary, and demo mode (no licence installed) runs one server only; install a licence with mirrored or full redundancy.'
        : 'This server is a secondary, and the installed licence has no redundancy; a secondary needs a licence with mirrored or full redundancy.',
      { mode },
    ),
};

// ---------------------------------------------------------------- checking a file

export interface LicenseContext {
  /** The key licences must be signed with; null when this server has none (demo mode only). */
  publicKey: CryptoKey | null;
  /** The demo key when it is not trusted here, so that a licence it signed is refused by name. */
  demoKey?: CryptoKey;
  installationId: string;
  role: ServerRole;
  now: Date;
  graceDays: number;
}

export interface LicenseVerdict {
  /** The payload when the signature verifies and the payload parses. */
  license: LicensePayload | null;
  /** The redundancy the server runs with: the licence's when its signature verifies, else demo. */
  mode: RedundancyMode;
  /** Why this server cannot serve under the licence (signature, binding, consistency); null when it can. */
  problem: DomainError | null;
}

/**
 * Checks a licence file for this server: signature, payload, installation
 * binding and consistency — everything but the dates, which change with the clock
 * (see expiryOf). `status` is the HTTP status of the problems it reports.
 */
export async function judgeLicenseFile(file: unknown, ctx: Omit<LicenseContext, 'now' | 'graceDays'>, status = 403): Promise<LicenseVerdict> {
  const shape = licenseFileSchema.safeParse(file);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    return { license: null, mode: 'demo', problem: licenseProblems.malformed(status, issue.path.join('.') || '(file)', issue.message) };
  }
  if (!ctx.publicKey || !(await verifyDocument(shape.data, ctx.publicKey))) return { license: null, mode: 'demo', problem: await untrustedSignature(shape.data, ctx, status) };
  const parsed = licensePayloadSchema.safeParse(shape.data.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { license: null, mode: 'demo', problem: licenseProblems.malformed(status, ['payload', ...issue.path].join('.'), issue.message) };
  }
  const license = parsed.data;
  const mode = redundancyOf(license);
  const binding = license.installations.find((i) => i.id === ctx.installationId);
  if (!binding) return { license, mode, problem: licenseProblems.wrongInstallation(status, ctx.installationId, license) };
  if (binding.role !== ctx.role) return { license, mode, problem: licenseProblems.wrongRole(status, ctx.installationId, binding.role, ctx.role, license) };
  const violations = consistencyViolations(license);
  if (violations.length) return { license, mode, problem: licenseProblems.inconsistent(status, violations) };
  return { license, mode, problem: null };
}

/** Why a licence's signature is not trusted: signed with the demo key, no key here, or signed by another key. */
async function untrustedSignature(file: SignedDocument<unknown>, ctx: Pick<LicenseContext, 'publicKey' | 'demoKey'>, status: number): Promise<DomainError> {
  if (ctx.demoKey && (await verifyDocument(file, ctx.demoKey))) return licenseProblems.demoKeyRefused(status);
  return ctx.publicKey ? licenseProblems.signatureInvalid(status) : licenseProblems.noVendorKey(status);
}

/** What installing a licence checks: judgeLicenseFile, then the dates (past grace is refused). */
export async function checkLicenseForInstall(file: unknown, ctx: LicenseContext): Promise<LicensePayload> {
  const verdict = await judgeLicenseFile(file, ctx, 422);
  if (verdict.problem) throw verdict.problem;
  const expiry = expiryOf(verdict.license!, ctx.now, ctx.graceDays);
  if (expiry.state === 'expired') throw licenseProblems.expired(422, expiry, verdict.license!);
  return verdict.license!;
}

/**
 * Whether this server may serve terminals at all: a secondary needs redundancy,
 * and a licence that does not hold here (wrong key, wrong installation) serves nobody.
 */
export function servingRefusal(verdict: Pick<LicenseVerdict, 'mode' | 'problem'>, role: ServerRole): DomainError | null {
  if (role === 'secondary' && (verdict.mode === 'demo' || verdict.mode === 'none')) return licenseProblems.redundancyNotLicensed(verdict.mode);
  if (verdict.problem) return new DomainError(403, verdict.problem.code, verdict.problem.detail, verdict.problem.extra);
  return null;
}
