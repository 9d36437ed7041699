import type { Context, Hono } from 'hono';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { FormError, PostForm } from '../components';
import type { DashboardEnv } from '../context';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { readChoices } from '../read/catalog';
import { mountRecordCreation } from '../record-pages';
import { render } from '../render';
import { TerminalFields, type TerminalValues } from '../terminal-fields';
import { noProblems, type Problems } from '../view/form-problems';
import { terminalFromForm, terminalLabels } from '../view/record-forms';

async function showForm(c: Context<DashboardEnv>, values: TerminalValues, problems: Problems, status = 200) {
  const { deps, viewer } = c.var;
  const choices = await readChoices(deps.db.orm);
  return render(
    c,
    <Page title="New terminal" section="/dashboard/terminals" viewer={viewer} serverId={deps.serverId}>
      <PostForm viewer={viewer} action="/dashboard/terminals" label="New terminal">
        <FormError message={problems.form} />
        <TerminalFields values={values} choices={choices} problems={problems} />
        <button type="submit">Create terminal</button>
      </PostForm>
    </Page>,
    status,
  );
}

/** Creating a terminal by hand (a terminal that already asked to boot is one click away under Pending). */
export function mountTerminalNew(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/terminals/new', access: access.configure }, (c) => showForm(c, { displayClientIds: null }, noProblems));

  mountRecordCreation(app, table, { entity: 'terminal', path: '/dashboard/terminals', read: terminalFromForm, labels: terminalLabels }, showForm);
}
