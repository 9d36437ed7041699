import { createClient } from '@libsql/client';

/** Every row of every table of a libSQL file, in a stable order: to compare databases. */
export async function dumpDatabase(file: string, skip: string[] = []): Promise<Record<string, unknown[]>> {
  const client = createClient({ url: `file:${file}` });
  try {
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables.rows) {
      if (skip.includes(String(name))) continue;
      const rows = await client.execute(`SELECT * FROM "${name}"`);
      dump[String(name)] = rows.rows.map((r) => JSON.stringify(r)).sort();
    }
    return dump;
  } finally {
    client.close();
  }
}
