import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  consistencyViolations,
  DEFAULT_GRACE_DAYS,
  DEMO_LICENSE_PUBLIC_KEY,
  expiryOf,
  licensedTerminals,
  licenseFileSchema,
  licensePayloadSchema,
  redundancyOf,
} from '../../functions/domain/license';
import { generateKeyPair, importPublicKey, keyFingerprint, privateKeyPem, verifyDocument } from '../../functions/domain/signing';
import { issueLicense, parseProduct } from './issue';

const HELP = `Tandem licence tool (for the vendor): key pairs, issuing and inspecting licences.

Usage: npm run license -- <command> [options]

  keygen [--out DIR]
      Makes an Ed25519 key pair. With --out, writes DIR/license-signing-key.pem (mode 0600,
      keep it secret) and DIR/license-public-key.txt; without, prints both. Handlers take the
      public key in TANDEM_LICENSE_PUBLIC_KEY.

  issue --key PEM --customer NAME --redundancy none|mirrored|full --primary ID [--secondary ID]
        --product SPEC [--product SPEC ...] --expires DATE|never
        [--edition standard|enterprise] [--issued DATE] [--id LICENCE-ID] [--out FILE]
        [--allow-inconsistent]
      Signs a licence with the private key. ID is an installation id as a server shows it at
      GET /api/v1/server (TDM-XXXX-XXXX-XXXX-XXXX). SPEC is a product licence:
        terminal-connection:N@primary     N terminals on the primary
        terminal-connection:N@secondary   N terminals on the secondary
        redundant-terminal-connection:N   N terminals on each server of a full pair
        mirrored-terminal-connection:N    N terminals on each server of a mirrored pair
      DATE is ISO 8601 (2027-12-31 or 2027-12-31T23:59:59Z). An enterprise licence has full
      redundancy. Refuses a licence that breaks a consistency rule unless --allow-inconsistent.
      Writes the licence file to FILE, or prints it.

  inspect FILE [--public-key=KEY] [--installation ID] [--grace-days N]
      Shows a licence: what it grants per server, whether its signature verifies with KEY
      (write --public-key=KEY with "=": a base64url key may begin with "-")
      (default: TANDEM_LICENSE_PUBLIC_KEY, else the demo key), the consistency rules it breaks,
      and its expiry. Exits 1 when a handler would refuse it.

Licence file format (tandem-license/1): JSON { "payload": {...}, "signature": "..." }, where
the signature is Ed25519 over the UTF-8 bytes of the payload in canonical JSON (RFC 8785:
members sorted by key, no whitespace), base64url without padding. See infra/license/README.md.

Install a licence on a handler:  curl -X PUT -H "Authorization: Bearer $ADMIN" \\
  -H 'Content-Type: application/json' --data @licence.json http://HANDLER/api/v1/license
`;

type Out = (line: string) => void;

export async function main(argv: string[], out: Out = (l) => process.stdout.write(l + '\n'), env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return command ? 0 : 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(HELP);
    return 0;
  }
  if (command === 'keygen') return keygen(rest, out);
  if (command === 'issue') return issue(rest, out);
  if (command === 'inspect') return inspect(rest, out, env);
  throw new UsageError(`unknown command "${command}"; the commands are keygen, issue, inspect (see --help)`);
}

class UsageError extends Error {}

async function keygen(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
  const keys = await generateKeyPair();
  const pem = privateKeyPem(keys.privateKey);
  if (values.out) {
    // The vendor's signing key: whoever reads it issues licences.
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
    const keyFile = join(values.out, 'license-signing-key.pem');
    writeFileSync(keyFile, pem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    writeFileSync(join(values.out, 'license-public-key.txt'), keys.publicKey + '\n');
    out(`private key: ${keyFile} (keep it secret)`);
    out(`public key:  ${keys.publicKey}`);
    out(`fingerprint: ${await keyFingerprint(keys.publicKey)}`);
    out(`Handlers verify licences with TANDEM_LICENSE_PUBLIC_KEY=${keys.publicKey}`);
  } else {
    out(pem.trimEnd());
    out(`TANDEM_LICENSE_PUBLIC_KEY=${keys.publicKey}`);
  }
  return 0;
}

function date(text: string, flag: string): Date {
  const value = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(value.getTime())) throw new UsageError(`${flag} "${text}" is not a date; write 2027-12-31 or 2027-12-31T23:59:59Z`);
  return value;
}

async function issue(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      key: { type: 'string' },
      customer: { type: 'string' },
      redundancy: { type: 'string' },
      edition: { type: 'string', default: 'standard' },
      primary: { type: 'string' },
      secondary: { type: 'string' },
      product: { type: 'string', multiple: true },
      expires: { type: 'string' },
      issued: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string' },
      'allow-inconsistent': { type: 'boolean', default: false },
    },
  });
  for (const required of ['key', 'customer', 'redundancy', 'primary', 'expires'] as const)
    if (!values[required]) throw new UsageError(`issue needs --${required} (see --help)`);
  if (!values.product?.length) throw new UsageError('issue needs at least one --product (see --help)');
  if (!['none', 'mirrored', 'full'].includes(values.redundancy!)) throw new UsageError(`--redundancy must be none, mirrored or full, not "${values.redundancy}"`);
  if (!['standard', 'enterprise'].includes(values.edition!)) throw new UsageError(`--edition must be standard or enterprise, not "${values.edition}"`);
  const file = await issueLicense(
    {
      customer: values.customer!,
      redundancy: values.redundancy as 'none' | 'mirrored' | 'full',
      edition: values.edition as 'standard' | 'enterprise',
      primary: values.primary!,
      secondary: values.secondary,
      products: values.product.map(parseProduct),
      expiresAt: values.expires === 'never' ? null : date(values.expires!, '--expires'),
      issuedAt: values.issued ? date(values.issued, '--issued') : undefined,
      licenseId: values.id,
    },
    readFileSync(values.key!, 'utf8'),
    { allowInconsistent: values['allow-inconsistent'] },
  );
  const text = JSON.stringify(file, null, 2) + '\n';
  if (values.out) {
    writeFileSync(values.out, text);
    out(`issued licence ${file.payload.licenseId} for ${file.payload.customer}: ${values.out}`);
  } else out(text.trimEnd());
  return 0;
}

async function inspect(args: string[], out: Out, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, installation: { type: 'string' }, 'grace-days': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('inspect takes one licence file (see --help)');
  const shape = licenseFileSchema.safeParse(JSON.parse(readFileSync(positionals[0], 'utf8')));
  if (!shape.success) {
    out(`not a licence file: ${shape.error.issues[0].path.join('.') || '(file)'}: ${shape.error.issues[0].message}`);
    return 1;
  }
  const publicKey = values['public-key'] ?? env.TANDEM_LICENSE_PUBLIC_KEY ?? DEMO_LICENSE_PUBLIC_KEY;
  const signatureOk = await verifyDocument(shape.data, await importPublicKey(publicKey));
  let refused = !signatureOk;
  out(`signature:   ${signatureOk ? 'valid' : 'INVALID'} for key ${await keyFingerprint(publicKey)}${publicKey === DEMO_LICENSE_PUBLIC_KEY ? ' (the demo key)' : ''}`);
  const parsed = licensePayloadSchema.safeParse(shape.data.payload);
  if (!parsed.success) {
    out(`payload:     not a tandem-license/1 payload: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    return 1;
  }
  const license = parsed.data;
  out(`licence:     ${license.licenseId} for ${license.customer}`);
  out(`edition:     ${license.edition}, redundancy ${redundancyOf(license)}`);
  for (const i of license.installations) out(`${i.role.padEnd(12)} ${i.id}: ${licensedTerminals(license, i.role)} terminals`);
  for (const p of license.products) out(`product:     ${p.product} × ${p.quantity}${p.product === 'terminal-connection' ? ` applied to the ${p.appliesTo}` : ''}`);
  const graceDays = values['grace-days'] ? Number(values['grace-days']) : DEFAULT_GRACE_DAYS;
  const expiry = expiryOf(license, new Date(), graceDays);
  out(`issued:      ${license.issuedAt}`);
  out(`expires:     ${license.expiresAt ?? 'never'} (${expiry.state}${expiry.graceEndsAt ? `; grace of ${graceDays} days until ${expiry.graceEndsAt}` : ''})`);
  if (expiry.state === 'expired') refused = true;
  const violations = consistencyViolations(license);
  for (const v of violations) out(`INCONSISTENT: ${v.rule}: ${v.detail}`);
  if (violations.length) refused = true;
  if (values.installation) {
    const bound = license.installations.find((i) => i.id === values.installation);
    out(`installation ${values.installation}: ${bound ? `bound as ${bound.role}` : 'NOT bound by this licence'}`);
    if (!bound) refused = true;
  }
  out(refused ? 'verdict:     a handler would refuse this licence' : 'verdict:     a handler would accept this licence');
  return refused ? 1 : 0;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`license: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
