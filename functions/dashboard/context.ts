import type { Access } from '../domain/roles';
import type { AppEnv } from '../http/context';
import type { DashboardSession } from '../services/dashboard-sessions';

/** Who is looking at a page, and what the page may offer them. */
export interface Viewer {
  session: DashboardSession;
  name: string;
  role: DashboardSession['principal']['role'];
  /** A mirrored secondary: no write controls, a banner naming the primary. */
  readOnly: boolean;
  /** The primary's dashboard, on a mirrored secondary (TANDEM_PEER_URL). */
  primaryDashboard: string | null;
  /** True when this viewer may use a control that needs `access` (and the server takes writes, for writes). */
  may: (access: Access, writes?: boolean) => boolean;
}

export type DashboardEnv = {
  Variables: AppEnv['Variables'] & { viewer: Viewer };
};
