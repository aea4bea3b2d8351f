/** What every issuer route gets: the issuer, the OpenID4VCI service and where published files are. */
import type { Issuer } from '../issuer.js';
import type { Openid4vciService } from '../services/openid4vci.js';

export interface IssuerHttpContext {
  issuer: Issuer;
  oid4vci: Openid4vciService;
  /** Directory of the published status epoch (`status publish` output). */
  statusDir: string;
}
