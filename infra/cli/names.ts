import { fail, listAll } from './connection';

/**
 * Records by name rather than by id in what the CLI prints: a group id means nothing to the
 * person reading a list. A reference to a record that is gone shows as `(missing <id>)`.
 */
export async function namesOf(collection: 'groups' | 'firmware-packages' | 'display-clients'): Promise<(id: unknown) => string> {
  const names = new Map((await listAll(`/api/v1/${collection}`)).map((r) => [String(r.id), collection === 'firmware-packages' ? `${r.name} ${r.packageVersion}` : String(r.name)]));
  return (id) => (typeof id === 'string' && id ? (names.get(id) ?? `(missing ${id})`) : '');
}

/** The id of the group a person names (by name, or by id). */
export async function groupIdOf(nameOrId: string): Promise<string> {
  const groups = await listAll('/api/v1/groups');
  const found = groups.find((g) => g.name === nameOrId) ?? groups.find((g) => g.id === nameOrId);
  if (!found) fail(`there is no group "${nameOrId}" (\`tandem groups\` lists them)`);
  return String(found.id);
}
