import { describe, expect, it } from 'vitest';
import { terminalInput } from '../../domain/record-inputs';
import { conflict, DomainError } from '../../domain/errors';
import { hasProblems, problemsFromError, problemsFromIssues } from './form-problems';

const labels = { mac: 'MAC address', name: 'Name', videoResolution: 'Video resolution', displayClientIds: 'Display clients' };

describe('form problems', () => {
  it("turns the entity schema's refusals into a sentence next to each field", () => {
    const parsed = terminalInput.safeParse({ mac: 'nope', name: '', videoResolution: 'huge', displayClientIds: Array(40).fill('x') });
    expect(parsed.success).toBe(false);
    const problems = problemsFromIssues(parsed.error!.issues, labels);
    expect(problems.fields).toEqual({
      mac: 'MAC address must be a MAC address such as aa:bb:cc:dd:ee:ff.',
      name: 'Name is required.',
      videoResolution: 'Video resolution must be a resolution like 1920x1080, 1920x1080@60 or auto.',
      displayClientIds: 'Display clients must be at most 32 entries.',
    });
    expect(problems.form).toBeNull();
  });

  it('says about the whole form what no field of it holds', () => {
    const problems = problemsFromIssues([{ code: 'custom', path: ['secret'], message: 'not allowed' }], labels);
    expect(problems).toEqual({ form: 'secret: not allowed.', fields: {} });
  });

  it("puts the API's error next to the field it names, or over the form", () => {
    expect(problemsFromError(conflict('duplicate', 'Another record already has this mac.', { field: 'mac' }), labels)).toEqual({
      form: null,
      fields: { mac: 'Another record already has this mac.' },
    });
    const stale = new DomainError(412, 'version_mismatch', 'The record has changed since you read it.');
    expect(problemsFromError(stale, labels)).toEqual({ form: 'The record has changed since you read it.', fields: {} });
    expect(hasProblems(problemsFromError(stale, labels))).toBe(true);
  });

  it('throws on what is not a refusal', () => {
    expect(() => problemsFromError(new Error('disk full'), labels)).toThrow('disk full');
  });
});
