import { Field, Select } from './components';
import type { Choices } from './read/catalog';
import { groupOptions, InheritableFields, type InheritableValues } from './settings-fields';
import type { Problems } from './view/form-problems';

export interface TerminalValues extends InheritableValues {
  mac?: string;
  name?: string;
  groupId?: string | null;
}

/** A terminal's own fields: MAC, name, group, and the settings it may set or inherit. */
export const TerminalFields = ({ values, choices, problems }: { values: TerminalValues; choices: Choices; problems: Problems }) => (
  <>
    <Field name="mac" label="MAC address" value={values.mac} problems={problems} required hint="Any spelling: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabbccddeeff." />
    <Field name="name" label="Name" value={values.name} problems={problems} required />
    <Select name="groupId" label="Group" value={values.groupId ?? ''} options={groupOptions(choices.groups, '(no group)')} problems={problems} />
    <InheritableFields values={values} choices={choices} problems={problems} inheritFrom="its group" />
  </>
);
