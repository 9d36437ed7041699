/**
 * The one error type of the handlers: a stable machine-readable `code`, the HTTP
 * status, and a sentence a person can act on. `onError` turns it into an
 * RFC 9457 problem document; nothing else builds error responses.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const notFound = (entity: string, id: string) =>
  new DomainError(404, 'not_found', `No ${entity} with id ${id}.`, { entity, id });

export const conflict = (code: string, detail: string, extra: Record<string, unknown> = {}) =>
  new DomainError(409, code, detail, extra);

export const invalid = (field: string, detail: string) =>
  new DomainError(400, 'invalid_field', detail, { field });
