/**
 * Intake of device updates, per model on one queue. Intake is group-committed: requests that arrive
 * while a write is in flight are validated together (`admit`: base version, config, norm, privacy
 * budget, one update per token and round, the source's share, the token's daily limit) and stored with
 * one durable write, then all answered (202 only after that write). When the K-th update is stored the
 * round closes before the next request is looked at, so every update of a round was made on the same
 * base version, and a request arriving after the close sees the new version (and a stale base is
 * refused).
 */
import { toHex } from '../../core/artifact/bytes.ts';
import type { Manifest } from '../../core/artifact/manifest.ts';
import { ContractError } from '../../core/errors.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { currentManifest } from '../models/registry.ts';
import type { Storage } from '../models/storage.ts';
import { DAY_MS } from './budget.ts';
import type { FederationContext } from './context.ts';
import { FederationRefusal, unknownModel } from './errors.ts';
import { hashSource } from './limits.ts';
import { closeRound, publishRound } from './rounds.ts';
import { index, withoutBytes, type Job, type ModelState } from './state.ts';
import type { StoredUpdate } from './store.ts';
import type { SubmitResult } from './types.ts';

/** The model's current manifest, or null when none is published. */
async function manifestOf(storage: Storage, st: ModelState, model: string): Promise<Manifest | null> {
  // The record is small and says which manifest is current; parse the manifest only when that changes.
  const record = await storage.meta.getModel(model);
  const sha = record?.versions.find((v) => v.version === record.current)?.manifestSha256;
  if (sha !== undefined && st.manifest?.sha256 === sha) return st.manifest.manifest;
  const current = await currentManifest(storage, model);
  if (!current) return null;
  if (st.manifest?.sha256 !== current.sha256) st.manifest = { sha256: current.sha256, manifest: current.manifest };
  return st.manifest.manifest;
}

/** Validates one job against the model's state; returns the update to store, a duplicate's result, or throws. */
function admit(ctx: FederationContext, st: ModelState, manifest: Manifest, job: Job, at: number): StoredUpdate | SubmitResult {
  const { settings } = ctx;
  const { cohort } = settings;
  const { update, input } = job;
  const round = st.rounds.length + 1;
  const nonce = toHex(update.nonce);
  const existing = st.keys.get(`${input.tokenHash}:${nonce}`);
  if (existing) return { id: existing, duplicate: true, round, pending: st.pending.length, cohort };
  if (update.baseVersion !== manifest.version) {
    throw new FederationRefusal('stale_version', `update is for ${update.model}@${update.baseVersion}; the current version is ${manifest.version}: fetch it and train again`);
  }
  const config = manifest.config;
  for (const k of Object.keys(config) as Array<keyof ModelConfig>) {
    if (update.config[k] !== config[k]) {
      throw new ContractError('bad_update', `update: config.${k} is ${update.config[k]}; ${update.model}@${manifest.version} has ${config[k]}`);
    }
  }
  const { norm } = update;
  if (!(norm <= settings.maxUpdateNorm)) throw new ContractError('bad_update', `update: norm ${norm.toPrecision(4)} is over the limit of ${settings.maxUpdateNorm}`);
  const over = ctx.budget.overBudget(st, at);
  if (over === 'total') {
    throw new FederationRefusal('budget_exhausted', `model ${update.model} has spent its privacy budget (ε ${settings.epsilonBudget}); no more rounds run on this version line`);
  }
  if (over === 'today') {
    const retry = Math.max(1, Math.ceil((DAY_MS - (at % DAY_MS)) / 1000));
    throw new FederationRefusal('epsilon_daily_cap', `model ${update.model} has spent today's privacy budget (ε ${settings.epsilonPerDay.toFixed(3)} per UTC day); send updates again after midnight UTC`, retry);
  }
  if (st.tokens.has(input.tokenHash)) {
    throw new FederationRefusal('rate_limited', 'this client token already has an update in the current round; one per round', 3600);
  }
  const source = job.source!.hash;
  if ((st.sources.get(source) ?? 0) >= settings.maxUpdatesPerSource) {
    throw new FederationRefusal(
      'source_share_exceeded',
      `this network source already sent ${settings.maxUpdatesPerSource} of the ${cohort} updates of round ${round} (at most ${(settings.maxSourceShare * 100).toFixed(1).replace(/\.0$/, '')}% of a round per source, whatever the client token); send it again in a later round`,
      3600,
    );
  }
  if (ctx.tokens.limited(input.tokenHash, at)) {
    throw new FederationRefusal('rate_limited', `at most ${settings.maxUpdatesPerDay} updates per client token per day`, 3600);
  }
  return { seq: st.nextSeq, id: crypto.randomUUID(), tokenHash: input.tokenHash, nonce, receivedAt: at, baseVersion: update.baseVersion, bytes: input.bytes, source };
}

/** Takes the model's queued jobs until none is left (one drain per model at a time). */
export async function drain(ctx: FederationContext, model: string, st: ModelState): Promise<void> {
  const { storage, store, now } = ctx;
  const { cohort } = ctx.settings;
  st.draining = true;
  try {
    while (st.queue.length > 0) {
      const unpublished = st.unpublished;
      if (unpublished) {
        try {
          await publishRound(ctx, unpublished);
          st.unpublished = undefined;
        } catch (err) {
          // Until the round's version is out, its updates' base still looks current: take nothing.
          console.error(`federation: publishing ${model}#${unpublished.round} failed again:`, err);
          const error = new FederationRefusal('round_publishing', 'the last round is being published; send the update again later', 60);
          for (const job of st.queue.splice(0)) job.reject(error);
          return;
        }
      }
      const manifest = await manifestOf(storage, st, model);
      // The open round's keyed hash of each waiting job's source (async: made before the jobs are taken).
      const open = st.rounds.length + 1;
      try {
        for (const job of [...st.queue]) {
          if (job.source?.round !== open) job.source = { round: open, hash: await hashSource(store, st, model, open, job.input.source) };
        }
      } catch (err) {
        // The round's key could not be read or stored: take nothing until it can.
        console.error(`federation: the source key of ${model}#${open} is not available:`, err);
        const error = new FederationRefusal('round_unavailable', 'the round cannot take updates right now; send the update again later', 60);
        for (const job of st.queue.splice(0)) job.reject(error);
        return;
      }
      const at = now();
      const accepted: Array<[StoredUpdate, Job]> = [];
      // Take jobs until the round is full: the rest wait for the close and see the new version. A job
      // that arrived while hashing waits for the next pass.
      while (st.queue.length > 0 && st.pending.length < cohort && st.queue[0]!.source?.round === open) {
        const job = st.queue.shift()!;
        try {
          if (!manifest) throw unknownModel(job.update.model);
          const out = admit(ctx, st, manifest, job, at);
          if ('seq' in out) {
            st.nextSeq++;
            st.pending.push(withoutBytes(out));
            st.keys.set(`${out.tokenHash}:${out.nonce}`, out.id);
            st.tokens.add(out.tokenHash);
            st.sources.set(out.source!, (st.sources.get(out.source!) ?? 0) + 1);
            accepted.push([out, job]);
          } else job.resolve(out);
        } catch (err) {
          job.reject(err);
        }
      }
      if (accepted.length > 0) {
        try {
          await store.append(model, accepted.map(([u]) => u));
        } catch (err) {
          // Not stored: forget them, so a retry is not taken for a duplicate.
          const failed = new Set(accepted.map(([u]) => u.id));
          st.pending = st.pending.filter((u) => !failed.has(u.id));
          st.nextSeq -= accepted.length;
          index(st, cohort);
          for (const [, job] of accepted) job.reject(err);
          continue;
        }
      }
      const round = st.rounds.length + 1;
      const answers = accepted.map(([u, job]) => {
        ctx.tokens.record(u.tokenHash, u.receivedAt);
        return [job, { id: u.id, duplicate: false, round, pending: u.seq - (st.pending[0]?.seq ?? u.seq) + 1, cohort }] as const;
      });
      if (st.pending.length >= cohort) {
        // Answered after the close, so a device that sent the K-th update sees the new version on its next request.
        try {
          await closeRound(ctx, model, st);
        } catch (err) {
          // The updates stay pending (nothing was committed); the next intake retries the close.
          console.error(`federation: closing a round of ${model} failed:`, err);
        }
      }
      for (const [job, result] of answers) job.resolve(result);
    }
  } finally {
    st.draining = false;
  }
}
