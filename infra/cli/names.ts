import { listAll } from './connection';

/**
 * Records by name rather than by id in what the CLI prints: a group id means nothing to the
 * person reading a list. A reference to a record that is gone shows as `(missing <id>)`.
 */
export async function namesOf(collection: 'groups' | 'firmware-packages' | 'display-clients'): Promise<(id: unknown) => string> {
  const names = new Map((await listAll(`/api/v1/${collection}`)).map((r) => [String(r.id), collection === 'firmware-packages' ? `${r.name} ${r.packageVersion}` : String(r.name)]));
  return (id) => (typeof id === 'string' && id ? (names.get(id) ?? `(missing ${id})`) : '');
}
