/** What an admin does to a display client's ordered list of terminal servers. */
export type OrderChange = { move: 'up' | 'down' | 'remove'; id: string } | { move: 'add'; id: string };

/**
 * The list after the change, or null when it changes nothing (the first moved up, an id not
 * listed, one already listed added): the form then says so instead of writing.
 */
export function changeOrder(ids: readonly string[], change: OrderChange): string[] | null {
  const at = ids.indexOf(change.id);
  switch (change.move) {
    case 'add':
      return at === -1 ? [...ids, change.id] : null;
    case 'remove':
      return at === -1 ? null : ids.filter((id) => id !== change.id);
    case 'up':
    case 'down': {
      const to = change.move === 'up' ? at - 1 : at + 1;
      if (at === -1 || to < 0 || to >= ids.length) return null;
      const next = [...ids];
      [next[at], next[to]] = [next[to], next[at]];
      return next;
    }
  }
}
