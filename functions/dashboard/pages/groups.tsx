import type { Context, Hono } from 'hono';
import { count } from 'drizzle-orm';
import { terminals } from '../../../db/schema';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { Field, FormError, PostForm, Select } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices, type Choices } from '../read/catalog';
import { mountRecordCreation } from '../record-pages';
import { render } from '../render';
import { groupOptions, InheritableFields, type InheritableValues } from '../settings-fields';
import { noProblems, type Problems } from '../view/form-problems';
import { groupTree, type TreeEntry } from '../view/group-tree';
import { groupFromForm, groupLabels } from '../view/record-forms';

export interface GroupValues extends InheritableValues {
  name?: string;
  parentId?: string | null;
}

/** A group's fields: name, parent, and the settings its terminals and subgroups inherit. */
export const GroupFields = ({ values, choices, problems, self }: { values: GroupValues; choices: Choices; problems: Problems; self?: string }) => (
  <>
    <Field name="name" label="Name" value={values.name} problems={problems} required />
    <Select name="parentId" label="Parent group" value={values.parentId ?? ''} options={groupOptions(choices.groups, '(top level)', self)} problems={problems} />
    <InheritableFields values={values} choices={choices} problems={problems} inheritFrom="the parent group" />
  </>
);

type Group = Choices['groups'][number];

const Tree = ({ entries, members, nested }: { entries: TreeEntry<Group>[]; members: Map<string | null, number>; nested?: boolean }) => (
  <ul class={nested ? undefined : 'tree'}>
    {entries.map((e) => (
      <li>
        <a href={`/dashboard/groups/${e.group.id}`}>{e.group.name}</a>{' '}
        <span class="muted">
          ({members.get(e.group.id) ?? 0} terminal{members.get(e.group.id) === 1 ? '' : 's'}
          {e.orphan ? '; its parent was deleted on the other server' : ''})
        </span>
        {e.children.length ? <Tree entries={e.children} members={members} nested /> : null}
      </li>
    ))}
  </ul>
);

async function showGroups(c: Context<DashboardEnv>, values: GroupValues, problems: Problems, status = 200) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const [choices, counts] = await Promise.all([readChoices(orm), orm.select({ groupId: terminals.groupId, n: count() }).from(terminals).groupBy(terminals.groupId).all()]);
  const members = new Map(counts.map((r) => [r.groupId, r.n]));
  return render(
    c,
    <Page title="Groups" section="/dashboard/groups" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <p>Terminals inherit every setting they leave unset from their group, then from the groups above it.</p>
      {choices.groups.length ? <Tree entries={groupTree(choices.groups)} members={members} /> : <p class="muted">No groups yet.</p>}
      <p class="muted">{members.get(null) ?? 0} terminal(s) in no group.</p>
      {viewer.may(access.configure) ? (
        <section aria-labelledby="new-group-heading">
          <h2 id="new-group-heading">New group</h2>
          <PostForm viewer={viewer} action="/dashboard/groups" label="New group">
            <FormError message={problems.form} />
            <GroupFields values={values} choices={choices} problems={problems} />
            <button type="submit">Create group</button>
          </PostForm>
        </section>
      ) : null}
    </Page>,
    status,
  );
}

/** Groups as a tree, and a new group. */
export function mountGroups(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/groups', access: access.read }, (c) => showGroups(c, { displayClientIds: null }, noProblems));

  mountRecordCreation(app, table, { entity: 'group', path: '/dashboard/groups', read: groupFromForm, labels: groupLabels }, showGroups);
}
