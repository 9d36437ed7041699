import type { Context } from 'hono';
import { DomainError } from '../domain/errors';
import { actorOf } from '../http/context';
import { checkIfMatch, recordEtag } from '../http/preconditions';
import { toDomainError } from '../http/problem';
import type { StoredRecord } from '../services/entities';
import { knownEntity } from '../services/entities';
import type { ChangeContext } from '../services/record-change';
import { createRecord, deleteRecord, updateRecord } from '../services/write-record';
import type { DashboardEnv } from './context';
import { hasProblems, problemsFromError, problemsFromIssues, type Labels, type Problems } from './view/form-problems';
import type { FormReading } from './view/record-forms';

/** What an action did: its result, or the sentences to show next to the form and the status to answer with. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problems: Problems; status: number; error?: DomainError };

export const changeContextOf = (c: Context<DashboardEnv>): ChangeContext => ({ serverId: c.var.deps.serverId, actor: actorOf(c.var.principal), at: c.var.deps.now() });

/**
 * Runs an action that calls a service; a refusal (a DomainError, or a database error the API
 * maps to one, such as a duplicate name) becomes sentences for the form. Nothing is half-saved:
 * each service writes in one transaction.
 */
export async function attempt<T>(labels: Labels, work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    const problem = toDomainError(err);
    if (problem.status >= 500) throw err;
    return { ok: false, problems: problemsFromError(problem, labels), status: problem.status, error: problem };
  }
}

/** The version the form was read at, checked as the API checks If-Match. */
const versionCheck = (version: string) => (current: number) => checkIfMatch(recordEtag(Number(version) || 0), current);

/**
 * Creates or changes a record from a form, through the entity's own schema (as the API's body
 * validation) and the one write path (`createRecord` / `updateRecord`).
 */
export async function saveRecord(
  c: Context<DashboardEnv>,
  entity: string,
  reading: FormReading,
  labels: Labels,
  target?: { id: string; version: string },
): Promise<Outcome<StoredRecord>> {
  const spec = knownEntity(entity);
  const schema = target ? spec.input!.partial().strict() : spec.input!;
  const parsed = schema.safeParse(reading.input);
  if (!parsed.success || hasProblems(reading.problems)) {
    const fromSchema = parsed.success ? { form: null, fields: {} } : problemsFromIssues(parsed.error.issues, labels);
    return { ok: false, status: 400, problems: { form: reading.problems.form ?? fromSchema.form, fields: { ...fromSchema.fields, ...reading.problems.fields } } };
  }
  const input = parsed.data as Record<string, unknown>;
  const { db } = c.var.deps;
  return attempt(labels, () =>
    db.write((tx) => (target ? updateRecord(tx, changeContextOf(c), entity, target.id, input, versionCheck(target.version)) : createRecord(tx, changeContextOf(c), entity, input))),
  );
}

/** Deletes a record at the version the page showed, with the entity's rules (in use, not empty). */
export function removeRecord(c: Context<DashboardEnv>, entity: string, id: string, version: string): Promise<Outcome<void>> {
  return attempt({}, () => c.var.deps.db.write((tx) => deleteRecord(tx, changeContextOf(c), entity, id, versionCheck(version))));
}

/** A record a page is about, or a 404 page. */
export function requireFound<T>(row: T | null | undefined, what: string, id: string): T {
  if (!row) throw new DomainError(404, 'not_found', `No ${what} with id ${id}: it may have been deleted, here or on the other server.`);
  return row;
}
