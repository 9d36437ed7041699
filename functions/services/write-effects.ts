import { and, eq, inArray, isNull } from 'drizzle-orm';
import { noteForCommit, type Tx } from '../../db/database';
import { apiTokens, pendingTerminals, resolvedConfigs } from '../../db/schema';
import { subtreeOf } from '../domain/resolve';
import { advanceFeed } from './boot-document-feed';
import { loadCatalog, refreshResolvedConfigs } from './resolved-configs';

const CHUNK = 400;

/**
 * What a write changes besides its record, gathered while one write or a whole pulled batch is
 * made, and carried out once, in the same transaction: boot documents re-resolved, pending
 * terminals cleared, the licence in effect dropped once the transaction commits.
 */
export class WriteEffects {
  private readonly terminalIds = new Set<string>();
  private readonly goneTerminalIds = new Set<string>();
  private readonly groupIds = new Set<string>();
  private readonly configuredMacs = new Set<string>();
  private readonly revokedTokens = new Map<string, string>();
  private everyTerminal = false;
  private license = false;

  /** The boot document of this terminal may have changed. */
  terminal(id: string): void {
    this.terminalIds.add(id);
  }

  /** This terminal is gone: its boot document goes too. */
  terminalGone(id: string): void {
    this.goneTerminalIds.add(id);
  }

  /** The terminals of this group and of the groups below it. */
  groupTree(id: string): void {
    this.groupIds.add(id);
  }

  allTerminals(): void {
    this.everyTerminal = true;
  }

  /** A terminal with this MAC is configured: it no longer waits in the pending list. */
  configured(mac: unknown): void {
    if (typeof mac === 'string') this.configuredMacs.add(mac);
  }

  licenseChanged(): void {
    this.license = true;
  }

  /** The token with this hash, if this server has it, is revoked as of `at`. */
  tokenRevoked(tokenHash: string, at: string): void {
    this.revokedTokens.set(tokenHash, at);
  }

  /** Takes on what another collection gathered (a savepoint's, once it held). */
  merge(other: WriteEffects): void {
    for (const key of ['terminalIds', 'goneTerminalIds', 'groupIds', 'configuredMacs'] as const) for (const value of other[key]) this[key].add(value);
    for (const [hash, at] of other.revokedTokens) this.revokedTokens.set(hash, at);
    this.everyTerminal ||= other.everyTerminal;
    this.license ||= other.license;
  }

  async apply(tx: Tx): Promise<void> {
    const macs = [...this.configuredMacs];
    for (let i = 0; i < macs.length; i += CHUNK) await tx.delete(pendingTerminals).where(inArray(pendingTerminals.mac, macs.slice(i, i + CHUNK)));
    const gone = [...this.goneTerminalIds];
    if (gone.length) noteForCommit(tx, 'boot-documents');
    const goneMacs: string[] = [];
    for (let i = 0; i < gone.length; i += CHUNK) {
      const deleted = await tx.delete(resolvedConfigs).where(inArray(resolvedConfigs.terminalId, gone.slice(i, i + CHUNK))).returning({ mac: resolvedConfigs.mac });
      goneMacs.push(...deleted.map((d) => d.mac));
    }
    await advanceFeed(tx, { removed: goneMacs });
    if (this.everyTerminal) await refreshResolvedConfigs(tx, 'all');
    else if (this.terminalIds.size || this.groupIds.size) {
      const groupIds = new Set<string>();
      if (this.groupIds.size) {
        const groups = (await loadCatalog(tx)).groups;
        for (const id of this.groupIds) for (const member of subtreeOf(id, groups.values())) groupIds.add(member);
      }
      await refreshResolvedConfigs(tx, { terminalIds: [...this.terminalIds].filter((id) => !this.goneTerminalIds.has(id)), groupIds });
    }
    if (this.license) noteForCommit(tx, 'license');
    for (const [hash, at] of this.revokedTokens) await tx.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)));
    if (this.revokedTokens.size) noteForCommit(tx, 'tokens');
  }
}
