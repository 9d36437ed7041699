import type { BootDocument, BootFirmware } from '../../functions/domain/boot-document';
import type { BootFeedPage } from '../../functions/domain/boot-feed';
import type { HeldConfig } from './config-cache';

/** What applying feed pages changes in the relay's cache. */
export interface FeedPlan {
  /** Documents the cache does not hold at this version. */
  write: BootDocument[];
  /** MACs to drop. */
  remove: string[];
  /** Firmware the written documents name: to verify before a terminal asks for it. */
  firmware: BootFirmware[];
  /** A held document's firmware changed or went: older files may now be unused (a sweep is due). */
  firmwareDropped: boolean;
}

/** The ETag a cached document carries: the handler's, `"<configVersion>"`. */
export const etagOf = (document: BootDocument): string => `"${document.configVersion}"`;

const sameFirmware = (a: BootFirmware | null, b: BootFirmware | null) => a?.objectKey === b?.objectKey && a?.sha256 === b?.sha256;

/**
 * One page against what the cache holds. A document already held at its version is not written
 * again (a walk from nothing after a switch to the other handler rewrites nothing unchanged).
 * `seen`, during a walk, collects every MAC the walk names.
 */
export function planFeedPage(page: Pick<BootFeedPage, 'documents' | 'removed'>, held: (mac: string) => HeldConfig | undefined, seen: Set<string> | null): FeedPlan {
  const plan: FeedPlan = { write: [], remove: [], firmware: [], firmwareDropped: false };
  for (const document of page.documents) {
    seen?.add(document.mac);
    const before = held(document.mac);
    if (before?.etag === etagOf(document)) continue;
    plan.write.push(document);
    if (document.firmware) plan.firmware.push(document.firmware);
    if (before?.firmware && !sameFirmware(before.firmware, document.firmware)) plan.firmwareDropped = true;
  }
  for (const mac of page.removed) {
    seen?.delete(mac);
    // Dropped even when not held here: another worker of the relay may have cached it on a boot.
    plan.remove.push(mac);
    if (held(mac)?.firmware) plan.firmwareDropped = true;
  }
  return plan;
}

/** At the end of a walk from nothing: what the cache holds that the walk never named. */
export function planWalkEnd(heldMacs: Iterable<string>, seen: ReadonlySet<string>, held: (mac: string) => HeldConfig | undefined): FeedPlan {
  const remove = [...heldMacs].filter((mac) => !seen.has(mac));
  return { write: [], remove, firmware: [], firmwareDropped: remove.some((mac) => held(mac)?.firmware) };
}
