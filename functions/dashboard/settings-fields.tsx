import { Checkbox, Field, Select, TextArea, type Option } from './components';
import type { Choices } from './read/catalog';
import { flattenTree, groupTree } from './view/group-tree';
import type { Problems } from './view/form-problems';
import { jsonText } from './view/record-forms';

/** The settings a terminal or a group may set, or leave to be inherited. */
export interface InheritableValues {
  hardwareModel?: string | null;
  videoResolution?: string | null;
  firmwarePackageId?: string | null;
  displayClientIds?: string[] | null;
  options?: Record<string, unknown> | null;
}

/** Groups for a select, as the tree (indented), after `none`. */
export function groupOptions(groups: Choices['groups'], none: string, except?: string): Option[] {
  return [
    { value: '', label: none },
    ...flattenTree(groupTree(groups))
      .filter((e) => e.group.id !== except)
      .map((e) => ({ value: e.group.id, label: `${'— '.repeat(e.depth)}${e.group.name}` })),
  ];
}

/** How many ordered display-client choices a form offers. */
const DISPLAY_CLIENT_SLOTS = 3;
const ordinal = ['First', 'Second', 'Third'];

/** Hardware model, video resolution, firmware, display clients (in order) and options; blank inherits. */
export const InheritableFields = ({ values, choices, problems, inheritFrom }: { values: InheritableValues; choices: Choices; problems: Problems; inheritFrom: string }) => {
  const chosen = values.displayClientIds ?? [];
  const clientOptions = [{ value: '', label: '(none)' }, ...choices.displayClients.map((d) => ({ value: d.id, label: d.name }))];
  return (
    <fieldset>
      <legend>Settings (blank: inherited from {inheritFrom})</legend>
      <Field name="hardwareModel" label="Hardware model" value={values.hardwareModel} problems={problems} />
      <Field name="videoResolution" label="Video resolution" value={values.videoResolution} problems={problems} hint="Like 1920x1080, 1920x1080@60 or auto." />
      <Select
        name="firmwarePackageId"
        label="Firmware package"
        value={values.firmwarePackageId ?? ''}
        problems={problems}
        options={[{ value: '', label: `(inherited from ${inheritFrom})` }, ...choices.firmware.map((f) => ({ value: f.id, label: `${f.name} ${f.packageVersion}` }))]}
      />
      <Checkbox name="inheritDisplayClients" label={`Display clients inherited from ${inheritFrom}`} checked={values.displayClientIds === null || values.displayClientIds === undefined} problems={problems} />
      {Array.from({ length: DISPLAY_CLIENT_SLOTS }, (_, i) => (
        <Select name="displayClientIds" idPrefix={`slot${i}-`} label={`${ordinal[i]} display client`} value={chosen[i] ?? ''} options={clientOptions} problems={i === 0 ? problems : undefined} />
      ))}
      <TextArea name="options" label="Options (JSON object)" value={jsonText(values.options)} problems={problems} hint='Merged key by key with the groups above, the nearest value winning, e.g. {"keyboard": "de"}.' />
    </fieldset>
  );
};
