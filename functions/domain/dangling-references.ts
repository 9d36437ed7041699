import type { Terminal } from '../../db/schema';
import type { Catalog } from './resolve';

export interface DanglingReference {
  entity: 'terminal' | 'group' | 'display-client';
  id: string;
  name: string;
  field: string;
  missing: string;
}

type Referrer = Pick<Terminal, 'id' | 'name' | 'firmwarePackageId' | 'displayClientIds'> & { groupId?: string | null; parentId?: string | null };

/**
 * References to records that no longer exist. A server refuses to delete what is in use, but
 * two servers can cross: one deletes a group while the other puts a terminal in it. Both
 * changes are kept; the terminal then boots as if it had no group (resolve skips what is
 * missing), and an admin must be told which record to fix.
 */
export function danglingReferences(catalog: Catalog, terminals: Iterable<Referrer>): DanglingReference[] {
  const found: DanglingReference[] = [];
  const check = (entity: DanglingReference['entity'], r: { id: string; name: string }, field: string, id: string | null | undefined, known: Map<string, unknown>) => {
    if (id && !known.has(id)) found.push({ entity, id: r.id, name: r.name, field, missing: id });
  };
  const inheritable = (entity: DanglingReference['entity'], r: Referrer) => {
    check(entity, r, 'firmwarePackageId', r.firmwarePackageId, catalog.firmware);
    for (const id of r.displayClientIds ?? []) check(entity, r, 'displayClientIds', id, catalog.displayClients);
  };
  for (const t of terminals) {
    check('terminal', t, 'groupId', t.groupId, catalog.groups);
    inheritable('terminal', t);
  }
  for (const g of catalog.groups.values()) {
    check('group', g, 'parentId', g.parentId, catalog.groups);
    inheritable('group', g);
  }
  for (const c of catalog.displayClients.values())
    for (const id of c.terminalServerIds) check('display-client', c, 'terminalServerIds', id, catalog.terminalServers);
  return found;
}

/** One sentence for the sync status. */
export function danglingWarning(found: DanglingReference[]): string | null {
  if (!found.length) return null;
  const first = found[0];
  const more = found.length > 1 ? ` (and ${found.length - 1} more: see danglingReferences)` : '';
  return `${first.entity} "${first.name}" names ${first.field} ${first.missing}, which was deleted, probably on the other server at the same time${more}; assign an existing one.`;
}
