import { list, text, type FormFields } from '../form-data';
import type { Labels, Problems } from './form-problems';

/**
 * What a posted form says, as the API's input for the same record: the entity's schema then
 * checks it exactly as it checks an API request. Only what a form cannot say (JSON it failed to
 * parse) is a problem here.
 */
export interface FormReading {
  input: Record<string, unknown>;
  problems: Problems;
}

const inheritableLabels = {
  hardwareModel: 'Hardware model',
  videoResolution: 'Video resolution',
  firmwarePackageId: 'Firmware package',
  displayClientIds: 'Display clients',
  options: 'Options',
};

export const terminalLabels: Labels = { mac: 'MAC address', name: 'Name', groupId: 'Group', ...inheritableLabels };
export const groupLabels: Labels = { name: 'Name', parentId: 'Parent group', ...inheritableLabels };
export const displayClientLabels: Labels = { name: 'Name', type: 'Type', failoverMode: 'Failover', terminalServerIds: 'Terminal servers', settings: 'Settings' };
export const terminalServerLabels: Labels = { name: 'Name', host: 'Host', port: 'Port', enabled: 'Enabled' };

/** Blank means "not set here": inherit it. */
const unlessBlank = (value: string) => (value === '' ? null : value);
const unique = (values: string[]) => [...new Set(values)];

/** A JSON object typed into a text area; `blank` is what an empty area means. */
function jsonObject(form: FormFields, name: string, label: string, blank: Record<string, unknown> | null, problems: Problems): Record<string, unknown> | null {
  const source = text(form, name);
  if (source === '') return blank;
  try {
    const value: unknown = JSON.parse(source);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* said below */
  }
  problems.fields[name] = `${label} must be a JSON object, such as {"keyboard": "de"}.`;
  return blank;
}

function inheritable(form: FormFields, problems: Problems) {
  return {
    hardwareModel: unlessBlank(text(form, 'hardwareModel')),
    videoResolution: unlessBlank(text(form, 'videoResolution')),
    firmwarePackageId: unlessBlank(text(form, 'firmwarePackageId')),
    // Unticked with nothing chosen: explicitly none, not inherited.
    displayClientIds: text(form, 'inheritDisplayClients') === 'on' ? null : unique(list(form, 'displayClientIds')),
    options: jsonObject(form, 'options', inheritableLabels.options, null, problems),
  };
}

const reading = (build: (problems: Problems) => Record<string, unknown>): FormReading => {
  const problems: Problems = { form: null, fields: {} };
  return { input: build(problems), problems };
};

export const terminalFromForm = (form: FormFields) =>
  reading((problems) => ({ mac: text(form, 'mac'), name: text(form, 'name'), groupId: unlessBlank(text(form, 'groupId')), ...inheritable(form, problems) }));

export const groupFromForm = (form: FormFields) => reading((problems) => ({ name: text(form, 'name'), parentId: unlessBlank(text(form, 'parentId')), ...inheritable(form, problems) }));

export const displayClientFromForm = (form: FormFields) =>
  reading((problems) => ({
    name: text(form, 'name'),
    type: text(form, 'type'),
    failoverMode: text(form, 'failoverMode'),
    terminalServerIds: unique(list(form, 'terminalServerIds')),
    settings: jsonObject(form, 'settings', displayClientLabels.settings, {}, problems),
  }));

export const terminalServerFromForm = (form: FormFields) =>
  reading(() => {
    const port = text(form, 'port');
    return {
      name: text(form, 'name'),
      host: text(form, 'host'),
      // Digits become a number for the schema to bound; anything else stays text, which it refuses as not a number.
      port: port === '' ? undefined : /^\d+$/.test(port) ? Number(port) : port,
      enabled: text(form, 'enabled') === 'on',
    };
  });

/** A JSON value for a text area: pretty, or empty for nothing. */
export const jsonText = (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value, null, 2));
