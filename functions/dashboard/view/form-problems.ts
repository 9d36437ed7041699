import { DomainError } from '../../domain/errors';

/** What went wrong with a form: sentences next to fields, and one about the whole form or action. */
export interface Problems {
  form: string | null;
  fields: Record<string, string>;
}

export const noProblems: Problems = { form: null, fields: {} };

export const hasProblems = (p: Problems) => p.form !== null || Object.keys(p.fields).length > 0;

/** A validation issue as zod reports it. */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  expected?: string;
  values?: unknown[];
}

/** Labels of a form's fields by the input's names: `{ mac: 'MAC address' }`. */
export type Labels = Record<string, string>;

/**
 * The problems of an input the entity's schema refused, one sentence per field (the first issue
 * of each), named as the form names it.
 */
export function problemsFromIssues(issues: Issue[], labels: Labels): Problems {
  const fields: Record<string, string> = {};
  let form: string | null = null;
  for (const issue of issues) {
    const field = String(issue.path[0] ?? '');
    const sentence = issueSentence(issue, labels[field] ?? field);
    if (field in labels) fields[field] ??= sentence;
    else form ??= sentence;
  }
  return { form, fields };
}

/** One sentence for one refused value. */
export function issueSentence(issue: Issue, label: string): string {
  const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : '';
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return `${label} is required.`;
      return `${label} must be at least ${issue.minimum}${unit}.`;
    case 'too_big':
      return `${label} must be at most ${issue.maximum}${unit}.`;
    case 'invalid_type':
      return issue.expected === 'number' ? `${label} must be a number.` : `${label} must be ${article(issue.expected ?? 'value')}.`;
    case 'invalid_value':
      return `${label} must be one of: ${(issue.values ?? []).map(String).join(', ')}.`;
    case 'unrecognized_keys':
      return `${label}: ${issue.message}.`;
    default:
      // The schemas' own messages name what is expected: "a MAC address such as aa:bb:cc:dd:ee:ff".
      return /^(a|an|the)\s/i.test(issue.message) ? `${label} must be ${issue.message}.` : `${label}: ${issue.message}.`;
  }
}

/**
 * The problem an action met, as the API would answer it: next to its field when the error names
 * one the form has, else about the whole form. Anything that is not a DomainError is thrown on.
 */
export function problemsFromError(err: unknown, labels: Labels): Problems {
  if (!(err instanceof DomainError)) throw err;
  const field = typeof err.extra.field === 'string' ? err.extra.field : null;
  if (field && field in labels) return { form: null, fields: { [field]: err.detail } };
  return { form: err.detail, fields: {} };
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
