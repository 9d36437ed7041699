import { roles } from '../../db/enums';

export { roles };
export type Role = (typeof roles)[number];

/** Who may do what, by intent; routes pick one of these instead of listing roles ad hoc. */
export const access = {
  /** Anyone, without a token: health probes. */
  public: 'public',
  /** People reading the configuration. */
  read: ['admin', 'operator', 'viewer'],
  /** People changing the configuration. */
  configure: ['admin', 'operator'],
  /** Tokens, licences and other administration. */
  administer: ['admin'],
  /** Relays fetching boot documents and reporting boots. */
  boot: ['relay'],
  /** The other server of the pair. */
  peer: ['peer'],
  /** Who this server is (installation id, shadow-grant key): everyone with a token. */
  identify: ['admin', 'operator', 'viewer', 'relay', 'peer'],
  /** Reading, by people or by the other server of the pair. */
  readOrPeer: ['admin', 'operator', 'viewer', 'peer'],
  /** Monitoring. */
  monitor: ['admin', 'operator', 'viewer'],
} as const satisfies Record<string, readonly Role[] | 'public'>;

export type Access = readonly Role[] | 'public';
