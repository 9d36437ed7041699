import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/database';
import { insertMany } from '../../db/insert-many';
import { bootDocumentFeed } from '../../db/schema';

/**
 * Puts MACs whose boot document was just stored or removed at the head of the relays' feed
 * (GET /api/v1/boot/documents): each takes the next position after every one this database
 * has handed out, in the transaction that changed the document. Write transactions are
 * serialised, so a position once read is never followed by a smaller one: a relay that asks
 * for what came after its last position misses nothing.
 */
export async function advanceFeed(tx: Tx, change: { written?: readonly string[]; removed?: readonly string[] }): Promise<void> {
  const written = new Set(change.written ?? []);
  const removed = [...new Set(change.removed ?? [])].filter((mac) => !written.has(mac));
  if (!written.size && !removed.length) return;
  let seq = (await tx.select({ head: sql<number | null>`max(${bootDocumentFeed.seq})` }).from(bootDocumentFeed).get())?.head ?? 0;
  const rows = [...[...written].map((mac) => ({ mac, seq: ++seq, removed: false })), ...removed.map((mac) => ({ mac, seq: ++seq, removed: true }))];
  await insertMany(tx, bootDocumentFeed, rows, { upsertOn: [bootDocumentFeed.mac] });
}
