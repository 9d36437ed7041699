import { z } from '@hono/zod-openapi';
import { and, count, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Orm } from '../../db/database';

/** `?limit&offset` of every list route. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

/** One page of a table with its total, in the shape every list route answers. */
export async function pageOf<T extends SQLiteTable>(orm: Orm, table: T, where: SQL | undefined, orderBy: SQL, page: { limit: number; offset: number }) {
  const [items, [{ total }]] = await Promise.all([
    orm.select().from(table).where(where).orderBy(orderBy).limit(page.limit).offset(page.offset).all() as Promise<T['$inferSelect'][]>,
    orm.select({ total: count() }).from(table).where(where).all(),
  ]);
  return { items, total, limit: page.limit, offset: page.offset };
}

/** `?since&until` of the history lists: ISO times, both ends included. */
export const periodQuery = {
  since: z.string().datetime().optional(),
  until: z.string().datetime().optional(),
};

/**
 * The filter of a history list: each column equal to its value where one was asked for, and the
 * time column within the period.
 */
export function historyFilter(equal: Array<[SQLiteColumn, string | undefined]>, at: SQLiteColumn, period: { since?: string; until?: string }): SQL | undefined {
  return and(
    ...equal.map(([column, value]) => (value ? eq(column, value) : undefined)),
    period.since ? gte(at, period.since) : undefined,
    period.until ? lte(at, period.until) : undefined,
  );
}
