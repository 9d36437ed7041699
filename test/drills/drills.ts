import { bothDownReboot, primaryDownReboot, primaryDownRunning, relayADownReboot, terminalServerDies } from './boot-drills';
import { changePrimaryDown, partition } from './change-drills';
import type { Drill } from './drill';
import { licenceExceeded } from './licence-drill';
import type { FailureId } from './matrix';

/** The drill that plays each failure of the matrix. */
export const DRILLS: Record<FailureId, Drill> = {
  'relay-a-down-reboot': relayADownReboot,
  'primary-down-running': primaryDownRunning,
  'primary-down-reboot': primaryDownReboot,
  'both-down-reboot': bothDownReboot,
  'change-primary-down': changePrimaryDown,
  partition,
  'terminal-server-dies': terminalServerDies,
  'licence-exceeded': licenceExceeded,
};
