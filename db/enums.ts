/**
 * The closed sets of values that columns hold, declared once: the schema stores them and the
 * domain validates against them. Plain constants, so that pure code can import them.
 */
export const displayClientTypes = ['rdp', 'workstation', 'vnc', 'web'] as const;
export const failoverModes = ['none', 'failover', 'instant-failover'] as const;
export const roles = ['admin', 'operator', 'viewer', 'relay', 'peer'] as const;
/** Where a relay found the configuration a terminal booted with. */
export const bootSources = ['live', 'cache'] as const;
export const changeOperations = ['create', 'update', 'delete'] as const;
export const changeStatuses = ['applied', 'superseded', 'failed'] as const;
export const conflictKinds = ['concurrent', 'unique'] as const;
