/**
 * Names and sizes of the federated-update wire format (`codec.ts`) that code without the codec needs:
 * the page's training chunk draws the nonce and labels the upload, the model loader reads the header.
 */

/** Bytes of an update's random nonce. */
export const NONCE_BYTES = 16;

/** `application/vnd.edge-recs.update`: the media type of an encoded update. */
export const UPDATE_MEDIA_TYPE = 'application/vnd.edge-recs.update';
/** `application/vnd.edge-recs.delta`: the media type of an encoded version delta. */
export const DELTA_MEDIA_TYPE = 'application/vnd.edge-recs.delta';
/**
 * `X-Federated-Learning: on | off`, sent with every `GET /v1/models/:name/manifest` answer (304s too):
 * whether this server takes `POST /v1/updates`. Devices learn it from the manifest they fetch anyway, so a
 * server without federated learning is never sent an update (its 404 would be a console error in the shop).
 */
export const FEDERATED_LEARNING_HEADER = 'X-Federated-Learning';
