import type { Context, Hono } from 'hono';
import type { PropsWithChildren } from 'hono/jsx';
import { access } from '../domain/roles';
import type { RouteTable } from '../http/route';
import type { StoredRecord } from '../services/entities';
import { removeRecord, saveRecord } from './actions';
import { DangerAction, FormError, PostForm } from './components';
import type { DashboardEnv, Viewer } from './context';
import { formOf, text, type FormFields } from './form-data';
import { declarePage } from './page-route';
import { seeOther } from './render';
import type { Labels, Problems } from './view/form-problems';
import { withNotice } from './view/notices';
import type { FormReading } from './view/record-forms';

/** What a record's page shows again after a refused post: the form as sent, the sentences. */
export interface EditState<V> {
  values?: V;
  problems?: Problems;
  deleteError?: string | null;
  status?: number;
}

/** A configuration record as its pages handle it. */
interface RecordKind<V> {
  /** The entity of the registry. */
  entity: 'terminal' | 'group' | 'display-client' | 'terminal-server';
  /** The list's path: `/dashboard/terminal-servers`; a record's page is `${path}/{id}`. */
  path: string;
  /** The form as the API's input. */
  read: (form: FormFields) => FormReading;
  labels: Labels;
}

/**
 * The edit form (with the version it was read at) and, one more click away, delete; both for
 * those who may configure. `children` are the record's fields.
 */
export const RecordEditor = (props: PropsWithChildren<{ viewer: Viewer; path: string; noun: string; version: number; problems: Problems; deleteError?: string | null; deleteNote: string }>) => (
  <>
    <PostForm viewer={props.viewer} action={props.path} label={`Edit ${props.noun}`}>
      <input type="hidden" name="version" value={String(props.version)} />
      <FormError message={props.problems.form} />
      {props.children}
      <button type="submit">Save {props.noun}</button>
    </PostForm>
    <DangerAction viewer={props.viewer} action={`${props.path}/delete`} summary={`Delete this ${props.noun}…`} button={`Delete ${props.noun}`} error={props.deleteError} id="delete">
      <input type="hidden" name="version" value={String(props.version)} />
      <p>{props.deleteNote}</p>
    </DangerAction>
  </>
);

/**
 * A record's page actions: save (`POST {path}/{id}`) and delete (`POST {path}/{id}/delete`), each
 * at the version the page showed, through the one write path; a refusal shows the page again
 * with its sentence. `adjust` changes what the edit form's reading holds (a field edited apart).
 */
export function mountRecordEditing<V>(
  app: Hono<DashboardEnv>,
  table: RouteTable,
  kind: RecordKind<V>,
  show: (c: Context<DashboardEnv>, id: string, state: EditState<V>) => Promise<Response>,
  adjust?: (reading: FormReading) => void,
): void {
  const item = `${kind.path}/{id}`;
  declarePage(app, table, { method: 'post', path: item, access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const form = await formOf(c);
    const reading = kind.read(form);
    adjust?.(reading);
    const saved = await saveRecord(c, kind.entity, reading, kind.labels, { id, version: text(form, 'version') });
    if (saved.ok) return seeOther(c, withNotice(`${kind.path}/${id}`, `${kind.entity}-saved`));
    return show(c, id, { values: reading.input as V, problems: saved.problems, status: saved.status });
  });

  declarePage(app, table, { method: 'post', path: `${item}/delete`, access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const removed = await removeRecord(c, kind.entity, id, text(await formOf(c), 'version'));
    if (removed.ok) return seeOther(c, withNotice(kind.path, `${kind.entity}-deleted`));
    return show(c, id, { deleteError: removed.problems.form, status: removed.status });
  });
}

/**
 * Creating a record from a form (`POST {path}`): the new record's page next, or the form again
 * with its sentences.
 */
export function mountRecordCreation<V>(
  app: Hono<DashboardEnv>,
  table: RouteTable,
  kind: RecordKind<V>,
  show: (c: Context<DashboardEnv>, values: V, problems: Problems, status: number) => Promise<Response>,
  next: (record: StoredRecord) => string = (record) => withNotice(`${kind.path}/${record.id}`, `${kind.entity}-created`),
): void {
  declarePage(app, table, { method: 'post', path: kind.path, access: access.configure, writes: true }, async (c) => {
    const reading = kind.read(await formOf(c));
    const saved = await saveRecord(c, kind.entity, reading, kind.labels);
    if (saved.ok) return seeOther(c, next(saved.value));
    return show(c, reading.input as V, saved.problems, saved.status);
  });
}
