import type { Child, PropsWithChildren } from 'hono/jsx';
import type { Viewer } from './context';
import { CSRF_FIELD } from './csrf';
import type { Problems } from './view/form-problems';

/** The session's CSRF token, which every form posts. */
export const CsrfField = ({ viewer }: { viewer: Viewer }) => <input type="hidden" name={CSRF_FIELD} value={viewer.session.csrfToken} />;

/** A form that posts to `action` with the CSRF token; `label` names it for assistive technology. */
export const PostForm = (
  props: PropsWithChildren<{ viewer: Viewer; action: string; label?: string; class?: string; id?: string; enctype?: 'multipart/form-data'; /** Ids to focus after the page reloads (the script). */ keepFocus?: string }>,
) => (
  <form method="post" action={props.action} aria-label={props.label} class={props.class} id={props.id} enctype={props.enctype} data-keep-focus={props.keepFocus}>
    <CsrfField viewer={props.viewer} />
    {props.children}
  </form>
);

/** The sentence about a whole form or action, announced when it appears. */
export const FormError = ({ message, id }: { message: string | null | undefined; id?: string }) =>
  message ? (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  ) : null;

const errorId = (name: string) => `${name}-error`;
const hintId = (name: string) => `${name}-hint`;
const describedBy = (name: string, error?: string | null, hint?: string) => [error ? errorId(name) : '', hint ? hintId(name) : ''].filter(Boolean).join(' ') || undefined;

interface FieldProps {
  name: string;
  label: string;
  problems?: Problems;
  hint?: string;
  /** Ids are per page: a page with several forms gives each field a prefix. */
  idPrefix?: string;
}

const Described = ({ id, hint, error }: { id: string; hint?: string; error?: string | null }) => (
  <>
    {hint ? (
      <p class="hint" id={hintId(id)}>
        {hint}
      </p>
    ) : null}
    {error ? (
      <p class="error" id={errorId(id)}>
        {error}
      </p>
    ) : null}
  </>
);

/** A labelled input with its hint and the sentence about what was wrong with it. */
export const Field = (props: FieldProps & { value?: string | number | null; type?: string; required?: boolean; autocomplete?: string; placeholder?: string; inputmode?: 'numeric' | 'text' }) => {
  const id = `${props.idPrefix ?? ''}${props.name}`;
  const error = props.problems?.fields[props.name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required}
        autocomplete={props.autocomplete ?? 'off'}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, props.hint)}
      />
      <Described id={id} hint={props.hint} error={error} />
    </div>
  );
};

export const TextArea = (props: FieldProps & { value?: string | null; rows?: number }) => {
  const id = `${props.idPrefix ?? ''}${props.name}`;
  const error = props.problems?.fields[props.name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <textarea id={id} name={props.name} rows={props.rows ?? 4} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, error, props.hint)}>
        {props.value ?? ''}
      </textarea>
      <Described id={id} hint={props.hint} error={error} />
    </div>
  );
};

export interface Option {
  value: string;
  label: string;
}

export const Select = (props: FieldProps & { options: Option[]; value?: string | string[] | null; multiple?: boolean; size?: number }) => {
  const id = `${props.idPrefix ?? ''}${props.name}`;
  const error = props.problems?.fields[props.name];
  const chosen = new Set(Array.isArray(props.value) ? props.value : props.value ? [props.value] : []);
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} multiple={props.multiple} size={props.size} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, error, props.hint)}>
        {props.options.map((o) => (
          <option value={o.value} selected={chosen.has(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
      <Described id={id} hint={props.hint} error={error} />
    </div>
  );
};

export const Checkbox = (props: FieldProps & { checked: boolean }) => {
  const id = `${props.idPrefix ?? ''}${props.name}`;
  const error = props.problems?.fields[props.name];
  return (
    <div class={`field checkbox${error ? ' invalid' : ''}`}>
      <input type="checkbox" id={id} name={props.name} value="on" checked={props.checked} aria-describedby={describedBy(id, error, props.hint)} />
      <label for={id}>{props.label}</label>
      <Described id={id} hint={props.hint} error={error} />
    </div>
  );
};

/** A time as people read it, with the machine form for tools. */
export const Time = ({ at }: { at: string | number | null | undefined }) => {
  if (at === null || at === undefined) return <span class="muted">never</span>;
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{iso.replace('T', ' ').slice(0, 19)} UTC</time>;
};

/** A quantity against its limit, as a bar with the figures beside it. */
export const UsageBar = ({ label, used, limit }: { label: string; used: number | null; limit: number }) => (
  <div class="usage">
    <span class="usage-label">{label}</span>
    {used === null ? (
      <span class="muted">not reachable</span>
    ) : (
      <>
        <meter min={0} max={Math.max(limit, 1)} low={limit * 0.75} high={limit * 0.9} optimum={0} value={Math.min(used, Math.max(limit, 1))} aria-label={`${label}: ${used} of ${limit}`}>
          {used} of {limit}
        </meter>
        <span class="usage-figures">
          {used} of {limit}
        </span>
      </>
    )}
  </div>
);

/** A value to copy (an installation id): shown as text; the script adds a working button. */
export const CopyText = ({ id, value, label }: { id: string; value: string; label: string }) => (
  <span class="copy">
    <code id={id}>{value}</code>{' '}
    <button type="button" class="secondary" data-copy={id} hidden>
      Copy {label}
    </button>
  </span>
);

/** A table with a caption: `head` are the column names. */
export const Table = (props: PropsWithChildren<{ caption: string; head: Child[]; empty?: string; rows: number; captionHidden?: boolean }>) =>
  props.rows === 0 ? (
    <p class="muted">{props.empty ?? 'Nothing yet.'}</p>
  ) : (
    <div class="table-wrap">
      <table>
        <caption class={props.captionHidden ? 'visually-hidden' : undefined}>{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );

/** A destructive action behind one more click, without a dialog: the button is inside a disclosure. */
export const DangerAction = (props: PropsWithChildren<{ viewer: Viewer; action: string; summary: string; button: string; error?: string | null; id?: string }>) => (
  <details class="danger" id={props.id} open={props.error ? true : undefined}>
    <summary>{props.summary}</summary>
    <PostForm viewer={props.viewer} action={props.action} label={props.summary}>
      {props.children}
      <FormError message={props.error} />
      <button type="submit" class="danger">
        {props.button}
      </button>
    </PostForm>
  </details>
);

/** Links to the previous and next pages of a list. */
export const Pager = ({ total, limit, offset, href }: { total: number; limit: number; offset: number; href: (offset: number) => string }) => {
  if (total <= limit) return <p class="muted">{total === 1 ? '1 item' : `${total} items`}</p>;
  const last = Math.min(offset + limit, total);
  return (
    <nav class="pager" aria-label="Pages">
      <span>
        {offset + 1}–{last} of {total}
      </span>
      {offset > 0 ? (
        <a href={href(Math.max(0, offset - limit))} rel="prev">
          Previous page
        </a>
      ) : null}
      {last < total ? (
        <a href={href(offset + limit)} rel="next">
          Next page
        </a>
      ) : null}
    </nav>
  );
};

/** An event of the log as a row's first cells: when, on which server, who, what, which record. */
export const EventCells = ({ event }: { event: { at: string; serverId: string; actor: string; action: string; entity: string; entityId: string | null } }) => (
  <>
    <td>
      <Time at={event.at} />
    </td>
    <td>{event.serverId}</td>
    <td>{event.actor}</td>
    <td>{event.action}</td>
    <td>
      {event.entity}
      {event.entityId ? (
        <>
          {' '}
          <code>{event.entityId}</code>
        </>
      ) : null}
    </td>
  </>
);
