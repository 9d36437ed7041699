import { DomainError } from './domain/errors';
import { DEFAULT_LEASE_TTL_SECONDS } from './domain/lease';
import { DEFAULT_GRACE_DAYS, DEMO_LICENSE_PUBLIC_KEY, LEASE_TTL_LIMITS_SECONDS, MAX_GRACE_DAYS } from './domain/license';
import { MIN_SECRET_LENGTH, secretWeakness } from './domain/secret-strength';
import { fromBase64Url } from './domain/signing';
import { isPlainHttpToAnotherMachine } from './domain/transport';
import { objectStoreSettings, type ObjectStoreSettings } from './domain/object-store';
import { variableReader, type VariableDeclaration, type VariableName } from './domain/settings-table';

export interface HandlerSettings {
  host: string;
  port: number;
  serverId: string;
  role: 'primary' | 'secondary';
  databaseUrl: string;
  databaseAuthToken?: string;
  /** TANDEM_ADMIN_TOKEN: the bootstrap admin token; strong (secret-strength.ts) or the handler does not start. */
  adminToken?: string;
  dataDir: string;
  peerUrl?: string;
  /** TANDEM_PEER_TOKEN: the `peer` token both servers of a pair accept; strong, as the admin token. */
  peerToken?: string;
  /** TANDEM_TLS_CERT_FILE and TANDEM_TLS_KEY_FILE (PEM): with both, the Node handler serves HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** TANDEM_CA_FILE (PEM): a plant's own CA, trusted besides the public CAs for the peer's certificate (Node). */
  caFile?: string;
  /** What a person should fix in these settings; /healthz and the start-up log repeat it. */
  warnings: string[];
  benchReference: boolean;
  /** TANDEM_SYNC_INTERVAL_MS: the safety-net pull interval (pokes make writes travel at once). */
  syncIntervalMs: number;
  /** TANDEM_SYNC_BATCH: changes per pulled batch. */
  syncBatchSize: number;
  /**
   * TANDEM_LICENSE_PUBLIC_KEY: the vendor's Ed25519 public key (32 bytes, base64url). Unset: the
   * demo key on a demo system (TANDEM_DEMO=1), else null — demo mode only, every licence refused.
   */
  licensePublicKey: string | null;
  /** TANDEM_LEASE_TTL_SECONDS: a terminal-connection lease not renewed by a check-in expires after this long (an hour to 30 days). */
  leaseTtlSeconds: number;
  /** TANDEM_LICENSE_GRACE_DAYS: how long an expired licence keeps granting leases, with warnings (0 to 30). */
  licenseGraceDays: number;
  /** S3_*: the relays' object store, where a Node handler streams uploaded firmware (the relays' rule and defaults). */
  objectStore: ObjectStoreSettings;
  /** TANDEM_FIRMWARE_MAX_BYTES: the largest firmware image an upload may send. */
  firmwareMaxBytes: number;
  /** TANDEM_EXTRA_MIGRATIONS_DIR: migrations applied at start after the release's own (tests). */
  extraMigrationsDir?: string;
}

type Env = Record<string, string | undefined>;

/** 2 GiB: a thin client's operating-system image with room to spare. */
export const DEFAULT_FIRMWARE_MAX_BYTES = 2 * 1024 ** 3;

/**
 * Every variable the handler reads (the object store's S3_* are in domain/object-store.ts): the
 * reader below takes its defaults from here, and docs/configuration.md is generated from here.
 */
export const handlerVariables = [
  { name: 'HOST', default: '127.0.0.1', description: 'the address the Node handler listens on (`0.0.0.0`: every interface)' },
  { name: 'PORT', default: '8787', description: 'the port it listens on' },
  { name: 'TANDEM_SERVER_ID', default: 'primary', description: 'this server\'s name: letters, digits, `.`, `_`, `-`' },
  { name: 'TANDEM_ROLE', default: 'primary', description: '`primary` or `secondary`' },
  {
    name: 'TANDEM_PEER_URL',
    default: null,
    description:
      'the other server of the pair. Give its `https://` URL: plain `http://` to another machine sends the peer token and every change readable, and `/healthz` and the start-up log warn (`peer_plain_http`)',
  },
  { name: 'TANDEM_PEER_TOKEN', default: null, description: 'a `peer` token both servers of the pair accept (the same value on both); as strong as `TANDEM_ADMIN_TOKEN`' },
  { name: 'TANDEM_TLS_CERT_FILE', default: null, description: 'PEM certificate (with its chain): with `TANDEM_TLS_KEY_FILE`, the Node handler serves HTTPS' },
  { name: 'TANDEM_TLS_KEY_FILE', default: null, description: 'PEM private key of that certificate' },
  {
    name: 'TANDEM_CA_FILE',
    default: null,
    shown: 'unset: the public CAs',
    description: 'PEM CA certificate(s) of a plant\'s own CA, trusted besides the public CAs for the peer\'s certificate (Node). The CLI (`npx tandem`) takes the same setting',
  },
  {
    name: 'DATABASE_URL',
    default: null,
    shown: '`file:<TANDEM_DATA_DIR>/<TANDEM_SERVER_ID>.db`',
    description: 'libSQL: a file, or `libsql://` / `https://` (Turso, sqld; the only kind on Workers)',
  },
  { name: 'DATABASE_AUTH_TOKEN', default: null, description: 'the token of a `libsql://` or `https://` database' },
  {
    name: 'TANDEM_ADMIN_TOKEN',
    default: null,
    shown: 'random, saved (mode 0600) in `<TANDEM_DATA_DIR>/<server id>-admin-token`, never logged (Node)',
    description:
      'the bootstrap admin token for an empty database; at least 32 characters and not a repeated pattern (`openssl rand -base64 32`), else the handler does not start',
  },
  {
    name: 'TANDEM_DATA_DIR',
    default: './data',
    description: 'where the default database and the bootstrap token file go; the handler makes it 0700, and the database file (with its `-wal`, `-shm`) and the token file 0600',
  },
  {
    name: 'TANDEM_LICENSE_PUBLIC_KEY',
    default: null,
    shown: 'unset: demo mode only',
    description: 'the vendor\'s Ed25519 public key licences must be signed with. Unset, the handler runs in demo mode only (one server, 5 terminals) and refuses every licence',
  },
  {
    name: 'TANDEM_DEMO',
    default: null,
    description:
      '`1`: a demo system, which trusts the demo licence key whose private half ships in `infra/demo/` (anyone can sign with it), with a `license_demo_key` warning in `/healthz`, the log and the licence view. `npm start` and the tests set it',
    production: false,
  },
  {
    name: 'TANDEM_LEASE_TTL_SECONDS',
    default: String(DEFAULT_LEASE_TTL_SECONDS),
    description: `a terminal-connection lease not renewed by a relay's check-in expires after this long; from ${LEASE_TTL_LIMITS_SECONDS.min} (an hour) to ${LEASE_TTL_LIMITS_SECONDS.max} (30 days), else the handler does not start (a shorter lease would lapse between boots and the licensed count would limit nothing)`,
  },
  {
    name: 'TANDEM_LICENSE_GRACE_DAYS',
    default: String(DEFAULT_GRACE_DAYS),
    description: `an expired licence keeps granting leases this long, with warnings in \`/healthz\` and the event log; 0 to ${MAX_GRACE_DAYS}: it may be shortened, never lengthened, else the handler does not start`,
  },
  { name: 'TANDEM_SYNC_INTERVAL_MS', default: '15000', description: 'the safety-net pull interval on Node (at least 100); writes reach the peer at once through a poke' },
  { name: 'TANDEM_SYNC_BATCH', default: '500', description: 'changes per pulled batch, 1 to 5000 (each batch is applied in one transaction with the cursor)' },
  {
    name: 'TANDEM_FIRMWARE_MAX_BYTES',
    default: String(DEFAULT_FIRMWARE_MAX_BYTES),
    description: 'the largest firmware image one upload may send (`npx tandem firmware upload`), up to 68719476736 (64 GiB)',
  },
  { name: 'TANDEM_BENCH_REFERENCE', default: null, description: '`1`: the reference route `npm run bench:config` measures against', production: false },
  {
    name: 'TANDEM_EXTRA_MIGRATIONS_DIR',
    default: null,
    description:
      'a folder of further migrations in drizzle-kit\'s layout (`meta/_journal.json` and the SQL files), applied at start after the release\'s own: the next release\'s migration in the rolling-upgrade drill (`npm run test:upgrade`)',
    production: false,
  },
] as const satisfies readonly VariableDeclaration[];

type HandlerVariable = VariableName<typeof handlerVariables>;
const read = variableReader(handlerVariables);

/** The handler's settings from its environment, with the defaults of `handlerVariables`. */
export function handlerSettings(env: Env): HandlerSettings {
  const serverId = read(env, 'TANDEM_SERVER_ID')!;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(serverId))
    throw new DomainError(400, 'invalid_setting', `TANDEM_SERVER_ID "${serverId}" must be letters, digits, ".", "_" or "-".`);
  const role = read(env, 'TANDEM_ROLE')!;
  if (role !== 'primary' && role !== 'secondary')
    throw new DomainError(400, 'invalid_setting', `TANDEM_ROLE must be "primary" or "secondary", not "${role}".`);
  const port = Number(read(env, 'PORT'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DomainError(400, 'invalid_setting', `PORT "${env.PORT}" is not a port number.`);
  const dataDir = read(env, 'TANDEM_DATA_DIR')!;
  const syncIntervalMs = Number(read(env, 'TANDEM_SYNC_INTERVAL_MS'));
  if (!Number.isInteger(syncIntervalMs) || syncIntervalMs < 100)
    throw new DomainError(400, 'invalid_setting', `TANDEM_SYNC_INTERVAL_MS "${env.TANDEM_SYNC_INTERVAL_MS}" must be a whole number of milliseconds, at least 100.`);
  const syncBatchSize = Number(read(env, 'TANDEM_SYNC_BATCH'));
  if (!Number.isInteger(syncBatchSize) || syncBatchSize < 1 || syncBatchSize > 5000)
    throw new DomainError(400, 'invalid_setting', `TANDEM_SYNC_BATCH "${env.TANDEM_SYNC_BATCH}" must be a whole number from 1 to 5000.`);
  const licensePublicKey = licenseKeyOf(env);
  const peerUrl = peerUrlOf(env);
  const leaseTtlSeconds = boundedNumber(env, 'TANDEM_LEASE_TTL_SECONDS', {
    ...LEASE_TTL_LIMITS_SECONDS,
    what: `a whole number of seconds from ${LEASE_TTL_LIMITS_SECONDS.min} (an hour) to ${LEASE_TTL_LIMITS_SECONDS.max} (30 days)`,
    why: 'a shorter lease lapses between boots and the licensed terminal count would limit nothing',
  });
  const licenseGraceDays = boundedNumber(env, 'TANDEM_LICENSE_GRACE_DAYS', {
    min: 0,
    max: MAX_GRACE_DAYS,
    fractional: true,
    what: `a number of days from 0 to ${MAX_GRACE_DAYS}`,
    why: 'the grace period of an expired licence may be shortened, never lengthened',
  });
  return {
    host: read(env, 'HOST')!,
    port,
    serverId,
    role,
    databaseUrl: read(env, 'DATABASE_URL') ?? `file:${dataDir}/${serverId}.db`,
    databaseAuthToken: read(env, 'DATABASE_AUTH_TOKEN'),
    adminToken: strongSecret(env, 'TANDEM_ADMIN_TOKEN'),
    dataDir,
    peerUrl,
    peerToken: strongSecret(env, 'TANDEM_PEER_TOKEN'),
    tls: tlsFilesOf(env),
    caFile: read(env, 'TANDEM_CA_FILE'),
    warnings: peerUrl && isPlainHttpToAnotherMachine(peerUrl) ? [plainHttpPeerWarning(peerUrl)] : [],
    benchReference: read(env, 'TANDEM_BENCH_REFERENCE') === '1',
    syncIntervalMs,
    syncBatchSize,
    licensePublicKey,
    leaseTtlSeconds,
    licenseGraceDays,
    objectStore: objectStoreSettings(env, (message) => {
      throw new DomainError(400, 'invalid_setting', `${message}.`);
    }),
    firmwareMaxBytes: boundedNumber(env, 'TANDEM_FIRMWARE_MAX_BYTES', {
      min: 1,
      max: 64 * 1024 ** 3,
      what: 'a whole number of bytes from 1 to 68719476736 (64 GiB)',
      why: 'it bounds what one upload may write to the object store',
    }),
    extraMigrationsDir: read(env, 'TANDEM_EXTRA_MIGRATIONS_DIR'),
  };
}

/**
 * The key licences are checked with. The demo key's private half ships with Tandem, so it is
 * trusted only on a system that says it is a demo (TANDEM_DEMO=1, as `npm start` does).
 */
function licenseKeyOf(env: Env): string | null {
  const demo = read(env, 'TANDEM_DEMO') === '1';
  const configured = read(env, 'TANDEM_LICENSE_PUBLIC_KEY')?.trim();
  if (!configured) return demo ? DEMO_LICENSE_PUBLIC_KEY : null;
  if (fromBase64Url(configured)?.length !== 32)
    throw new DomainError(400, 'invalid_setting', 'TANDEM_LICENSE_PUBLIC_KEY must be an Ed25519 public key: 32 bytes in base64url (43 characters), as `npm run license -- keygen` prints it.');
  if (configured === DEMO_LICENSE_PUBLIC_KEY && !demo)
    throw new DomainError(
      400,
      'invalid_setting',
      'TANDEM_LICENSE_PUBLIC_KEY is the demo key, whose private half is published with Tandem: anyone could sign a licence for it. Set your vendor\'s key, or TANDEM_DEMO=1 on a demo system.',
    );
  return configured;
}

function peerUrlOf(env: Env): string | undefined {
  const url = read(env, 'TANDEM_PEER_URL');
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url))
    throw new DomainError(400, 'invalid_setting', `TANDEM_PEER_URL "${url}" must be the other server's https:// (or, on this machine, http://) URL.`);
  return url;
}

/** A peer reached in the clear sees its token and every configuration change read on the way. */
const plainHttpPeerWarning = (url: string) =>
  `peer_plain_http: TANDEM_PEER_URL ${url} is plain http to another machine: the peer token and every configuration change travel readable on the network. Serve the peer over HTTPS (TANDEM_TLS_CERT_FILE, TANDEM_TLS_KEY_FILE) and give its https:// URL, with TANDEM_CA_FILE for a plant's own CA.`;

function tlsFilesOf(env: Env): HandlerSettings['tls'] {
  const certFile = read(env, 'TANDEM_TLS_CERT_FILE');
  const keyFile = read(env, 'TANDEM_TLS_KEY_FILE');
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile)
    throw new DomainError(400, 'invalid_setting', 'TANDEM_TLS_CERT_FILE and TANDEM_TLS_KEY_FILE go together: set both (PEM files) to serve HTTPS, or neither.');
  return { certFile, keyFile };
}

/** A token given in the environment, refused when weak: it opens the API to whoever guesses it. The message never repeats it. */
function strongSecret(env: Env, name: HandlerVariable): string | undefined {
  const secret = read(env, name);
  if (!secret) return undefined;
  const weakness = secretWeakness(secret);
  if (weakness)
    throw new DomainError(400, 'invalid_setting', `${name} is too weak: ${weakness}. Use a random value of at least ${MIN_SECRET_LENGTH} characters, e.g. \`openssl rand -base64 32\`.`);
  return secret;
}

/** A licence term the environment may set within limits; outside them the handler does not start. */
function boundedNumber(env: Env, name: HandlerVariable, limits: { min: number; max: number; fractional?: boolean; what: string; why: string }): number {
  const text = read(env, name)!;
  const value = Number(text);
  if (!Number.isFinite(value) || value < limits.min || value > limits.max || (!limits.fractional && !Number.isInteger(value)))
    throw new DomainError(400, 'invalid_setting', `${name} "${text}" must be ${limits.what}: ${limits.why}.`);
  return value;
}
