import type { Context } from 'hono';

/** A posted form's fields: a field sent several times (a multiple select) is a list. */
export type FormFields = Record<string, string | File | (string | File)[]>;

/** The posted form, parsed once (hono keeps the first parse, whatever options later calls give). */
export const formOf = (c: Context) => c.req.parseBody({ all: true }) as Promise<FormFields>;

/** One text field, trimmed; '' when absent. */
export function text(form: FormFields, name: string): string {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/** Every text value of a field sent several times, in the order sent. */
export function list(form: FormFields, name: string): string[] {
  const value = form[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}

/** A file field, or null when none was chosen. */
export function file(form: FormFields, name: string): File | null {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'object' && first !== null && first.size > 0 ? first : null;
}
