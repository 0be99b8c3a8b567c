/**
 * The token issuer's HTTP API under `/v1` (`admission.ts`): `GET /federated/tokens` (the issuer
 * directory of RFC 9578 §4 with the challenge to answer) and `POST /federated/tokens` (one blinded
 * token request in, one blind signature out, at most `tokensPerDay` per network source).
 */
import { Hono } from 'hono';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import { sourceKey, type PeerOf } from '../middleware/peer.ts';
import { apiResponse } from '../middleware/security.ts';
import { TOKEN_REQUEST_MEDIA_TYPE, TOKEN_RESPONSE_MEDIA_TYPE } from '../../core/federated/admission-client.ts';
import type { Admission } from './admission.ts';

/**
 * `/federated/tokens`. `admission` null answers 404: `federation_disabled` without a federation,
 * `admission_disabled` where the operator turned admission off.
 */
export function admissionRoutes(admission: Admission | null, peer: PeerOf, federated: boolean): Hono {
  const routes = new Hono();
  const on = (): Admission => {
    if (!federated) throw new ApiError(404, 'federation_disabled', 'this server does not take federated updates');
    if (!admission) throw new ApiError(404, 'admission_disabled', 'this server takes federated updates without tokens');
    return admission;
  };
  routes.get('/federated/tokens', async () => {
    const directory = await on().directory();
    return apiResponse(JSON.stringify(directory), 200, { 'Content-Type': 'application/private-token-issuer-directory', 'Cache-Control': 'no-store' });
  });
  routes.post(
    '/federated/tokens',
    (c, next) => {
      on();
      requireMediaType(c, [TOKEN_REQUEST_MEDIA_TYPE]);
      return next();
    },
    limitBody(1024, 'a token request is 259 bytes'),
    async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const signed = await on().issue(sourceKey(peer(c).address), bytes);
      return apiResponse(signed as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': TOKEN_RESPONSE_MEDIA_TYPE, 'Cache-Control': 'no-store' });
    },
  );
  return routes;
}
