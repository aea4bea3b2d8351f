/** What every issuer route gets: the issuer, its OpenID4VCI and status services, and a platform lookup. */
import type { Issuer } from '../issuer.js';
import type { Openid4vciService } from '../services/openid4vci.js';
import type { StatusService } from '../services/status.js';
import type { Platform } from '../services/platforms.js';

export interface IssuerHttpContext {
  issuer: Issuer;
  oid4vci: Openid4vciService;
  status: StatusService;
  /** A registered platform by id (cached briefly), or undefined. */
  platform(id: string): Promise<Platform | undefined>;
}
