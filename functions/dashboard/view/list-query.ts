/** The filters a list page was asked for: each of `keys` from the query, trimmed, '' when absent. */
export function askedFilters<K extends string>(query: (key: string) => string | null | undefined, keys: readonly K[]): Record<K, string> {
  return Object.fromEntries(keys.map((k) => [k, (query(k) ?? '').trim()])) as Record<K, string>;
}

/** Where a page of a list starts: a whole number, 0 for anything else. */
export const offsetOf = (value: string | null | undefined) => Math.max(0, Math.floor(Number(value) || 0));

/** The link to a page of a filtered list: the filters asked (blank ones left out) and the offset. */
export function listHref(path: string, asked: Record<string, string>, offset: number): string {
  const params = new URLSearchParams(Object.entries(asked).filter(([, v]) => v !== ''));
  if (offset > 0) params.set('offset', String(offset));
  return params.size ? `${path}?${params}` : path;
}
