import type { Context } from 'hono';
import type { DomainError } from '../domain/errors';
import { FormError } from './components';
import type { DashboardEnv } from './context';
import { Page } from './layout';
import { SIGN_IN_PATH } from './page-route';

/** A refusal shown as a page: signed out, a role, a mirrored secondary, a CSRF token, a missing record. */
export const RefusalPage = ({ c, error }: { c: Context<DashboardEnv>; error: DomainError }) => (
  <Page title={error.status === 401 ? 'Signed out' : error.status === 404 ? 'Not found' : 'Not possible'} serverId={c.var.deps.serverId} viewer={c.get('viewer')}>
    <FormError message={error.detail} />
    <p>{error.status === 401 ? <a href={SIGN_IN_PATH}>Sign in</a> : <a href="/dashboard">Back to the overview</a>}</p>
  </Page>
);
