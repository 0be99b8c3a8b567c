/**
 * The federation's refusals, as domain errors: what was refused and, for a refusal that passes, when to
 * try again. They say nothing of HTTP; the federated routes turn them into answers (`routes.ts`).
 */

/** Why the federation refused a call. */
export type RefusalCode =
  /** The server runs no federation (Workers: no `FEDERATED_SIGNING_KEY`). */
  | 'federation_disabled'
  /** No model of that name is published. */
  | 'unknown_model'
  /** The update was trained on a version that is no longer current. */
  | 'stale_version'
  /** The model has spent its total privacy budget. */
  | 'budget_exhausted'
  /** The model has spent today's privacy budget. */
  | 'epsilon_daily_cap'
  /** The client token has its update in this round, or its updates for the day. */
  | 'rate_limited'
  /** The network source has its share of this round. */
  | 'source_share_exceeded'
  /** The last round's version is still being published. */
  | 'round_publishing'
  /** The open round's source key cannot be read or stored. */
  | 'round_unavailable'
  /** No delta leads from that version to the one asked for. */
  | 'delta_unavailable';

export class FederationRefusal extends Error {
  override readonly name = 'FederationRefusal';

  /** @param retryAfter seconds after which the same call may pass; absent when it never will as it is. */
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** The refusal for a model name no model is published under. */
export function unknownModel(model: string): FederationRefusal {
  return new FederationRefusal('unknown_model', `no model named ${JSON.stringify(model)} is published`);
}
