/**
 * `tandem export [file]` and `tandem import <file> [--dry-run]`: the whole configuration as one
 * tandem-configuration document. The file holds display-client credentials, so it is written
 * for this user only (0600).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { call, fail } from './connection';
import { table } from './output';

export async function exportCommand(args: string[]): Promise<void> {
  const [file] = args;
  const doc = (await call('GET', '/api/v1/configuration')) as { records: Record<string, unknown[]> };
  const text = JSON.stringify(doc, null, 2) + '\n';
  if (!file || file === '-') return void process.stdout.write(text);
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  const counts = Object.entries(doc.records).map(([entity, rows]) => `${rows.length} ${entity}`);
  console.error(`exported ${counts.join(', ')} to ${file} (mode 0600: it holds display-client credentials)`);
}

interface Diff {
  add: { id: string; label: string }[];
  change: { id: string; label: string; fields: string[] }[];
  remove: { id: string; label: string }[];
  unchanged: number;
  clashes: { id: string; label: string; field: string; heldBy: string }[];
}

export async function importCommand(args: string[]): Promise<void> {
  let file: string;
  let dryRun: boolean;
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false } } });
    if (positionals.length !== 1) throw new Error('name one document file');
    [file] = positionals;
    dryRun = values['dry-run']!;
  } catch (err) {
    fail(`${(err as Error).message}\nusage: import <file> [--dry-run]`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`${file} is not a configuration document: ${(err as Error).message}`);
  }
  if (!dryRun) {
    const result = (await call('POST', '/api/v1/configuration/import', doc)) as { imported: Record<string, number> };
    return console.log(`imported ${Object.entries(result.imported).map(([entity, n]) => `${n} ${entity}`).join(', ')}`);
  }
  const plan = (await call('POST', '/api/v1/configuration/import?dryRun=true', doc)) as { empty: boolean; entities: Record<string, Diff> };
  table(
    Object.entries(plan.entities).map(([entity, d]) => ({ entity, add: d.add.length, change: d.change.length, remove: d.remove.length, unchanged: d.unchanged, clashes: d.clashes.length })),
    ['entity', 'add', 'change', 'remove', 'unchanged', 'clashes'],
  );
  for (const [entity, d] of Object.entries(plan.entities)) {
    for (const r of d.add) console.log(`+ ${entity} ${r.label} (${r.id})`);
    for (const r of d.change) console.log(`~ ${entity} ${r.label} (${r.id}): ${r.fields.join(', ')}`);
    for (const r of d.remove) console.log(`- ${entity} ${r.label} (${r.id})`);
    for (const r of d.clashes) console.log(`! ${entity} ${r.label} (${r.id}): ${r.field} is held here by ${r.heldBy}`);
  }
  console.log(plan.empty ? 'this server holds no configuration: `tandem import` would write the document' : 'this server holds configuration: an import is refused (dry run only)');
}
