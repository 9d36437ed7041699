import type { Context, Hono } from 'hono';
import { count, eq } from 'drizzle-orm';
import { terminals, type TerminalGroup } from '../../../db/schema';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { knownEntity } from '../../services/entities';
import { findRecord } from '../../services/write-record';
import { requireFound } from '../actions';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices } from '../read/catalog';
import { mountRecordEditing, RecordEditor, type EditState } from '../record-pages';
import { render } from '../render';
import { noProblems } from '../view/form-problems';
import { groupPath } from '../view/group-tree';
import { groupFromForm, groupLabels } from '../view/record-forms';
import { GroupFields, type GroupValues } from './groups';

async function showGroup(c: Context<DashboardEnv>, id: string, state: EditState<GroupValues> = {}) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const group = requireFound((await findRecord(orm, knownEntity('group'), id)) as TerminalGroup | null, 'group', id);
  const [choices, [{ members }]] = await Promise.all([readChoices(orm), orm.select({ members: count() }).from(terminals).where(eq(terminals.groupId, id)).all()]);
  const byId = new Map(choices.groups.map((g) => [g.id, g]));
  const subgroups = choices.groups.filter((g) => g.parentId === id).sort((a, b) => a.name.localeCompare(b.name));
  const problems = state.problems ?? noProblems;
  return render(
    c,
    <Page title={`Group ${group.name}`} section="/dashboard/groups" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <p>
        {groupPath(id, byId)} · <a href={`/dashboard/terminals?group=${id}`}>{members} terminal(s) directly in it</a>, with those of its subgroups in the list
      </p>
      {subgroups.length ? (
        <p>
          Subgroups:{' '}
          {subgroups.map((g, i) => (
            <>
              {i ? ', ' : ''}
              <a href={`/dashboard/groups/${g.id}`}>{g.name}</a>
            </>
          ))}
        </p>
      ) : null}
      {viewer.may(access.configure) ? (
          <RecordEditor viewer={viewer} path={`/dashboard/groups/${id}`} noun="group" version={group.version} problems={problems} deleteError={state.deleteError} deleteNote="Only an empty group can be deleted: move or delete its terminals and subgroups first.">
            <GroupFields values={state.values ?? group} choices={choices} problems={problems} self={id} />
          </RecordEditor>
      ) : (
        <GroupSummary group={group} />
      )}
    </Page>,
    state.status ?? 200,
  );
}

/** What a reader sees of a group's own settings. */
const GroupSummary = ({ group }: { group: TerminalGroup }) => (
  <ul>
    <li>Hardware model: {group.hardwareModel ?? 'inherited'}</li>
    <li>Video resolution: {group.videoResolution ?? 'inherited'}</li>
    <li>Options: {group.options ? <code>{JSON.stringify(group.options)}</code> : 'inherited'}</li>
  </ul>
);

/** A group: its place in the tree, edit, delete. */
export function mountGroup(app: Hono<DashboardEnv>, table: RouteTable): void {
  const path = '/dashboard/groups/{id}';
  declarePage(app, table, { method: 'get', path, access: access.read }, (c) => showGroup(c, c.req.param('id')!));

  mountRecordEditing(app, table, { entity: 'group', path: '/dashboard/groups', read: groupFromForm, labels: groupLabels }, showGroup);
}
