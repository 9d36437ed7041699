import { eq } from 'drizzle-orm';
import { licenses, type LicenseRecord } from '../../db/schema';
import { DomainError } from '../domain/errors';
import { DEFAULT_LEASE_TTL_SECONDS, isLeaseValid } from '../domain/lease';
import {
  checkLicenseForInstall,
  DEFAULT_GRACE_DAYS,
  DEMO_LICENSE_PUBLIC_KEY,
  DEMO_TERMINALS,
  expiryOf,
  judgeLicenseFile,
  LICENSE_ENTITY,
  LICENSE_RECORD_ID,
  licensedTerminals,
  licenseKeyTrust,
  licenseKeyWarning,
  licenseProblems,
  redundancyOf,
  servingRefusal,
  type Expiry,
  type LicenseContext,
  type LicenseKeyTrust,
  type LicensePayload,
  type RedundancyMode,
} from '../domain/license';
import { importPublicKey, keyFingerprint } from '../domain/signing';
import type { AppDeps, LicensingSettings } from '../deps';
import { recordAudit } from './audit';
import type { StoredRecord } from './entities';
import { LeaseBook } from './leases';
import type { ServerIdentityStore } from './server-identity';
import { writeRecord } from './write-record';

/** How long a server trusts its cached licence before reading it again: a licence may arrive by synchronisation. */
const REFRESH_MS = 5_000;
const HOUR_MS = 3_600_000;

/** Workers isolates are stateless: keep no lease view in memory there. */
const onWorkers = () => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

export function licensingSettings(overrides: Partial<LicensingSettings> = {}): LicensingSettings {
  return {
    // No key unless one is given: the demo key is trusted only when a demo system names it.
    publicKey: overrides.publicKey ?? null,
    leaseTtlSeconds: overrides.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS,
    graceDays: overrides.graceDays ?? DEFAULT_GRACE_DAYS,
    leaseView: overrides.leaseView ?? (onWorkers() ? 'database' : 'process'),
  };
}

/** What this server runs under, as last read from its database. */
export interface LicenseState {
  record: LicenseRecord | null;
  /** The licence, when its signature verifies with this server's key. */
  license: LicensePayload | null;
  mode: RedundancyMode;
  /** Why this server cannot serve under the installed licence; null when it can. */
  problem: DomainError | null;
  /** Terminals this server may lease. */
  licensed: number;
  installationId: string;
}

/**
 * Licensing of one server: the installed licence (cached, re-read every few
 * seconds), its leases, and the decisions the boot API and the write routes ask
 * for. Built once per app (`createServices`); a committed write of the licence
 * record (`license` commit topic: an install, a revert, a pulled change) drops
 * the cached state.
 */
export class Licensing {
  readonly settings: LicensingSettings;
  readonly leases: LeaseBook;
  private current: LicenseState | null = null;
  private loadedAt = 0;
  private loading: Promise<LicenseState> | null = null;
  private generation = 0;
  readonly keyTrust: LicenseKeyTrust;
  private readonly keys: Promise<Pick<LicenseContext, 'publicKey' | 'demoKey'>>;
  private lastExpiryNote = '';
  private lastExhaustedNote = -Infinity;

  constructor(
    private readonly deps: AppDeps,
    private readonly identity: ServerIdentityStore,
  ) {
    this.settings = licensingSettings(deps.licensing);
    deps.db.onCommitted('license', () => this.forget());
    this.keyTrust = licenseKeyTrust(this.settings.publicKey);
    this.keys = licenseKeys(this.settings.publicKey, this.keyTrust);
    this.keys.catch(() => undefined);
    this.leases = new LeaseBook({
      db: deps.db,
      serverId: deps.serverId,
      now: deps.now,
      log: deps.log,
      ttlSeconds: this.settings.leaseTtlSeconds,
      view: this.settings.leaseView,
      limit: async () => (await this.state()).licensed,
    });
  }

  /**
   * The licence state, answered from memory and re-read when older than a few
   * seconds: in the background on Node; on Workers (no lease view) in the
   * request itself, since I/O may not outlive the request that started it.
   */
  state(): Promise<LicenseState> {
    const stale = performance.now() - this.loadedAt >= REFRESH_MS;
    if (this.current && !stale) return Promise.resolve(this.current);
    if (this.stateless) {
      const generation = this.generation;
      return this.load().then((state) => this.keep(state, generation));
    }
    if (this.current) {
      this.reload().catch((err) => this.deps.log({ level: 'error', msg: 'reading the licence failed', error: String(err) }));
      return Promise.resolve(this.current);
    }
    return this.reload();
  }

  /**
   * The cached state without waiting, for the boot API's hot path: undefined when
   * there is none to trust (not loaded yet, or stale without a lease view).
   */
  cachedState(): LicenseState | undefined {
    if (!this.current) return undefined;
    if (performance.now() - this.loadedAt < REFRESH_MS) return this.current;
    if (this.stateless) return undefined;
    this.reload().catch((err) => this.deps.log({ level: 'error', msg: 'reading the licence failed', error: String(err) }));
    return this.current;
  }

  private get stateless(): boolean {
    return this.settings.leaseView === 'database';
  }

  private keep(state: LicenseState, generation: number): LicenseState {
    if (generation === this.generation) {
      this.current = state;
      this.loadedAt = performance.now();
    }
    return state;
  }

  /** Drops the cached licence once the licence record changed. */
  private forget(): void {
    this.generation++;
    this.current = null;
    this.loading = null;
  }

  private reload(): Promise<LicenseState> {
    if (!this.loading) {
      const generation = this.generation;
      const loading = this.load().then(
        (state) => {
          if (this.loading === loading) this.loading = null;
          return this.keep(state, generation);
        },
        (err) => {
          if (this.loading === loading) this.loading = null;
          throw err;
        },
      );
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<LicenseState> {
    const { db, role } = this.deps;
    const identity = await this.identity.get();
    const record = (await db.orm.select().from(licenses).where(eq(licenses.id, LICENSE_RECORD_ID)).get()) ?? null;
    if (!record) return { record: null, license: null, mode: 'demo', problem: null, licensed: DEMO_TERMINALS, installationId: identity.installationId };
    let file: unknown = null;
    try {
      file = JSON.parse(record.file);
    } catch {
      /* judged as malformed below */
    }
    const verdict = await judgeLicenseFile(file, { ...(await this.keys), installationId: identity.installationId, role });
    const licensed = verdict.license && !verdict.problem ? licensedTerminals(verdict.license, role) : 0;
    return { record, license: verdict.license, mode: verdict.mode, problem: verdict.problem, licensed, installationId: identity.installationId };
  }

  /** Refuses a server that may not serve terminals at all (an unlicensed secondary, a licence that does not hold here). */
  async assertServesTerminals(): Promise<LicenseState> {
    return this.refuseUnlessServing(this.cachedState() ?? (await this.state()));
  }

  refuseUnlessServing(state: LicenseState): LicenseState {
    const refusal = servingRefusal(state, this.deps.role);
    if (refusal) throw refusal;
    return state;
  }

  /** True when the lease view shows the terminal holding a valid lease: a boot that needs nothing else. */
  holdsLeaseInView(mac: string): boolean {
    return this.leases.holds(mac, this.deps.now().getTime()) === true;
  }

  /**
   * Lets a configured terminal boot: it holds a valid lease (no write, from
   * memory on Node), or it gets one now, or it is refused with license_expired
   * or license_exhausted. `leaseExpiresAt` is the lease as the caller read it,
   * for a server that keeps no lease view (Workers).
   */
  async admit(state: LicenseState, mac: string, relayId: string | null, leaseExpiresAt?: number | null): Promise<'held' | 'granted'> {
    await this.leases.ready();
    const now = this.deps.now();
    const t = now.getTime();
    if (await this.holdsLease(mac, t, leaseExpiresAt)) return 'held';
    await this.refuseNewLeaseIfExpired(state, now);
    // Refused from memory when the view shows every connection in use: no write transaction for a full server.
    if (this.leases.mayBeFull(state.licensed) && (this.leases.inUse(t) ?? 0) >= state.licensed) throw await this.exhausted(state);
    const outcome = await this.leases.request(mac, relayId);
    if (outcome === 'exhausted') throw await this.exhausted(state);
    return outcome;
  }

  /** From the lease view; without one, from the lease the caller read, else from the database. */
  private async holdsLease(mac: string, now: number, leaseExpiresAt: number | null | undefined): Promise<boolean> {
    const fromView = this.leases.holds(mac, now);
    if (fromView !== undefined) return fromView;
    if (leaseExpiresAt !== undefined) return leaseExpiresAt !== null && isLeaseValid({ expiresAt: leaseExpiresAt }, now);
    return isLeaseValid(await this.leases.find(mac), now);
  }

  /** Throws license_expired past the grace period; notes the grace period in the event log once a day. */
  async refuseNewLeaseIfExpired(state: LicenseState, now: Date): Promise<void> {
    if (!state.license) return;
    const expiry = expiryOf(state.license, now, this.settings.graceDays);
    await this.noteExpiry(state.license, expiry, now);
    if (expiry.state === 'expired') throw licenseProblems.expired(403, expiry, state.license);
  }

  /** The refusal; noted in the event log at most once an hour per process. */
  private async exhausted(state: LicenseState): Promise<DomainError> {
    const at = this.deps.now();
    if (at.getTime() - this.lastExhaustedNote >= HOUR_MS) {
      this.lastExhaustedNote = at.getTime();
      await this.audit(at, { action: 'license.exhausted', after: { licensed: state.licensed, mode: state.mode } });
    }
    return licenseProblems.exhausted(state.licensed, state.mode);
  }

  /** Grace period and expiry go to the log and the event log once a day per process. */
  private async noteExpiry(license: LicensePayload, expiry: Expiry, at: Date): Promise<void> {
    if (expiry.state !== 'grace' && expiry.state !== 'expired') return;
    const key = `${license.licenseId}:${expiry.state}:${at.toISOString().slice(0, 10)}`;
    if (key === this.lastExpiryNote) return;
    this.lastExpiryNote = key;
    this.deps.log({ level: 'warn', msg: expiryWarning(license, expiry) });
    await this.audit(at, { action: expiry.state === 'grace' ? 'license.grace-period' : 'license.expired', after: { licenseId: license.licenseId, ...expiry } });
  }

  /**
   * Written within the request that noticed (rarely: the notes above are rate-limited);
   * a failure is logged, not passed on to the terminal that happened to boot.
   */
  private async audit(at: Date, entry: { action: string; after: unknown }): Promise<void> {
    const { db, serverId, log } = this.deps;
    await db
      .write((tx) => recordAudit(tx, serverId, at, { actor: 'system:licensing', entity: LICENSE_ENTITY, entityId: LICENSE_RECORD_ID, ...entry }))
      .catch((err) => log({ level: 'error', msg: 'writing a licensing event failed', error: String(err) }));
  }

  /**
   * After a relay's check-in: the lease was renewed in the check-in's own
   * transaction (`LeaseBook.renewIn`), or is granted here when it has none
   * (a terminal that booted from a relay's cache still uses a connection).
   * Refusals are reported, not thrown: a check-in always records the boot.
   */
  async afterCheckIn(mac: string, relayId: string, renewedUntil: number | null, configured: () => Promise<boolean>): Promise<'renewed' | 'held' | 'granted' | 'refused'> {
    if (renewedUntil !== null) {
      this.leases.renewed(mac, renewedUntil);
      return 'renewed';
    }
    try {
      if (!(await configured())) return 'refused';
      const state = await this.assertServesTerminals();
      return await this.admit(state, mac, relayId);
    } catch (err) {
      if (err instanceof DomainError) return 'refused';
      throw err;
    }
  }

  /** Whether a lease may be renewed now: not past the licence's grace period, and the server serves at all. */
  async mayRenew(): Promise<boolean> {
    const state = await this.state();
    if (servingRefusal(state, this.deps.role)) return false;
    return !state.license || expiryOf(state.license, this.deps.now(), this.settings.graceDays).state !== 'expired';
  }

  /** Checks a licence file for this server and installs it (one record, synchronised to the peer). */
  async install(file: unknown, actor: string): Promise<LicenseState> {
    const { db, serverId, role, now, peerUrl } = this.deps;
    const at = now();
    const identity = await this.identity.get();
    const license = await checkLicenseForInstall(file, {
      ...(await this.keys),
      installationId: identity.installationId,
      role,
      now: at,
      graceDays: this.settings.graceDays,
    });
    if (role === 'secondary' && redundancyOf(license) === 'mirrored')
      throw new DomainError(
        403,
        'mirrored_secondary_read_only',
        `A mirrored pair synchronises from the primary only: install this licence on the primary${peerUrl ? ` (${peerUrl})` : ''}, and it reaches this secondary by synchronisation.`,
        { primaryUrl: peerUrl ?? null },
      );
    const { payload, signature } = file as { payload: unknown; signature: string };
    const text = JSON.stringify({ payload, signature });
    await db.write(async (tx) => {
      const previous = (await tx.select().from(licenses).where(eq(licenses.id, LICENSE_RECORD_ID)).get()) ?? null;
      const stamp = at.toISOString();
      const next: LicenseRecord = previous
        ? { ...previous, licenseId: license.licenseId, file: text, version: previous.version + 1, updatedAt: stamp }
        : { id: LICENSE_RECORD_ID, licenseId: license.licenseId, file: text, version: 1, createdAt: stamp, updatedAt: stamp };
      await writeRecord(tx, { serverId, actor, at }, { entity: LICENSE_ENTITY, id: LICENSE_RECORD_ID, previous: previous as StoredRecord | null, next: next as StoredRecord });
    });
    return this.state();
  }

  /** This server's usage: leases in use against its licensed count. */
  async usage(): Promise<{ serverId: string; installationId: string; role: string; mode: RedundancyMode; licensed: number; leases: number }> {
    const state = await this.state();
    await this.leases.ready();
    const leases = this.leases.inUse(this.deps.now().getTime()) ?? (await this.leases.countValid());
    return { serverId: this.deps.serverId, installationId: state.installationId, role: this.deps.role, mode: state.mode, licensed: state.licensed, leases };
  }

  /** The licence part of /healthz: state and warnings a person should act on. */
  async health(): Promise<{ mode: RedundancyMode; state: string; servesTerminals: boolean; licenseId: string | null; expiresAt: string | null; warnings: string[] }> {
    const state = await this.state();
    const now = this.deps.now();
    const warnings: string[] = [];
    const keyWarning = licenseKeyWarning(this.keyTrust);
    if (keyWarning) warnings.push(keyWarning);
    const refusal = servingRefusal(state, this.deps.role);
    if (refusal) warnings.push(`${refusal.code}: ${refusal.detail}`);
    const servesTerminals = refusal === null;
    if (!state.license) return { mode: state.mode, state: state.record ? 'invalid' : 'demo', servesTerminals, licenseId: null, expiresAt: null, warnings };
    const expiry = expiryOf(state.license, now, this.settings.graceDays);
    await this.noteExpiry(state.license, expiry, now);
    if (expiry.state === 'grace' || expiry.state === 'expired') warnings.push(expiryWarning(state.license, expiry));
    return { mode: state.mode, state: state.problem ? 'invalid' : expiry.state, servesTerminals, licenseId: state.license.licenseId, expiresAt: expiry.expiresAt, warnings };
  }

  /** The fingerprint of the key licences are checked with; null when there is none. */
  async publicKeyFingerprint(): Promise<string | null> {
    return this.settings.publicKey === null ? null : keyFingerprint(this.settings.publicKey);
  }
}

/** The trusted key, and the demo key to refuse by name where it is not trusted. */
async function licenseKeys(publicKey: string | null, trust: LicenseKeyTrust): Promise<Pick<LicenseContext, 'publicKey' | 'demoKey'>> {
  return {
    publicKey: publicKey === null ? null : await importPublicKey(publicKey),
    demoKey: trust === 'demo' ? undefined : await importPublicKey(DEMO_LICENSE_PUBLIC_KEY),
  };
}

function expiryWarning(license: LicensePayload, expiry: Expiry): string {
  return expiry.state === 'grace'
    ? `license_grace_period: licence ${license.licenseId} expired at ${expiry.expiresAt}; it keeps serving until ${expiry.graceEndsAt}, then refuses new leases. Install a renewed licence.`
    : `license_expired: licence ${license.licenseId} expired at ${expiry.expiresAt} and its grace period ended at ${expiry.graceEndsAt}; new leases are refused.`;
}
