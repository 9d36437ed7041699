import { z } from 'zod';
import { bootDocumentSchema } from './boot-document';

/**
 * The relays' feed of boot documents (GET /api/v1/boot/documents): every terminal's document,
 * then only what changed. Shared by the handler (which answers it) and the relay (which keeps
 * every terminal's last-known-good document with it).
 */
export const bootFeedPageSchema = z.object({
  /** Opaque: sent back as `?after=` to ask for what comes after this page. */
  cursor: z.string().min(1).max(200),
  /**
   * This page starts a walk over every document from nothing (no cursor, or one of another
   * database): a relay drops what it holds and the walk, once `more` is false, did not name.
   */
  reset: z.boolean(),
  /** More pages follow at once; false: the relay is up to date. */
  more: z.boolean(),
  /** MACs whose document is gone (the terminal was deleted, or its MAC changed). */
  removed: z.array(z.string()),
  documents: z.array(bootDocumentSchema),
});

export type BootFeedPage = z.infer<typeof bootFeedPageSchema>;

/** A page holds at most this many documents and removals (a relay asks for fewer if it likes). */
export const BOOT_FEED_MAX_PAGE = 1000;

/**
 * A position in one database's feed: the database (its server id and installation id, since a
 * copied database file keeps the installation id) and the last position seen.
 */
export interface FeedPosition {
  database: string;
  seq: number;
}

export const formatFeedCursor = (position: FeedPosition): string => `${position.database}:${position.seq}`;

/** The position a cursor names, or null for text that is not one. */
export function parseFeedCursor(text: string): FeedPosition | null {
  const at = text.lastIndexOf(':');
  const seq = Number(text.slice(at + 1));
  if (at < 1 || !/^\d{1,15}$/.test(text.slice(at + 1)) || !Number.isSafeInteger(seq)) return null;
  return { database: text.slice(0, at), seq };
}
