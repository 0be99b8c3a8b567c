/**
 * A round's close and its publishing. A full round closes with one of four outcomes, recorded in the
 * round store: published (aggregated into a new version: `aggregate-round.ts`), or nothing published and
 * no ε spent because the budget is spent, too few network sources sent its updates, or the base version
 * changed under it. A published round's blobs are stored first, then its record (the commit), then the
 * registry's record; a crash in between is finished by `publishRound` on the next load.
 */
import { canonicalJson, utf8 } from '../../core/artifact/bytes.ts';
import { manifestFiles, parseManifest } from '../../core/artifact/manifest.ts';
import { currentManifest, publishArtifact } from '../models/registry.ts';
import { aggregateRound } from './aggregate-round.ts';
import type { FederationContext } from './context.ts';
import { index, sourceOf, type ModelState } from './state.ts';
import type { PendingUpdate, RoundRecord, RoundStore } from './store.ts';

/** Publishes a committed round's version if the registry does not have it yet (recovery after a crash). */
export async function publishRound(ctx: FederationContext, record: RoundRecord): Promise<void> {
  const { storage } = ctx;
  if (record.status !== 'published' || !record.manifestSha256 || !record.version) return;
  const existing = await storage.meta.getModel(record.model);
  if (existing?.versions.some((v) => v.version === record.version)) return;
  const bytes = await storage.blobs.get(record.manifestSha256);
  if (!bytes) throw new Error(`round ${record.model}#${record.round}: manifest blob ${record.manifestSha256} is missing`);
  const manifest = parseManifest(JSON.parse(utf8.decode(bytes)));
  const files = new Map<string, Uint8Array>();
  for (const ref of manifestFiles(manifest)) {
    const file = await storage.blobs.get(ref.sha256);
    if (!file) throw new Error(`round ${record.model}#${record.round}: blob ${ref.sha256} is missing`);
    files.set(ref.path, file);
  }
  await publishArtifact(storage, { manifest, files }, { trusted: [ctx.publicKey] });
}

/** Closes the open round on its first `cohort` pending updates and commits what came of it. */
export async function closeRound(ctx: FederationContext, model: string, st: ModelState): Promise<void> {
  const { storage, store, settings, budget, now } = ctx;
  const { cohort } = settings;
  const batch = st.pending.slice(0, cohort);
  const round = st.rounds.length + 1;
  const baseVersion = batch[0]!.baseVersion;
  const published = budget.publishedCount(st);
  const base: Omit<RoundRecord, 'status' | 'epsilon' | 'totalEpsilon' | 'version'> & { sources: number } = {
    model,
    round,
    closedAt: new Date(now()).toISOString(),
    updates: batch.length,
    lastSeq: batch.at(-1)!.seq,
    updateIds: batch.map((u) => u.id),
    baseVersion,
    delta: settings.delta,
    sources: 0,
  };
  base.sources = new Set(batch.map(sourceOf)).size;
  let record: RoundRecord;
  const current = await currentManifest(storage, model);
  const epsilon = budget.epsilonAfter(1);
  if (budget.overBudget(st, now()) !== null) {
    // Publishing would pass the total budget, or today's cap (which intake already enforces, unless the
    // settings changed under stored updates).
    record = { ...base, status: 'budget_exhausted', version: null, epsilon: 0, totalEpsilon: budget.epsilonAfter(published) };
  } else if (base.sources < settings.minSources) {
    record = { ...base, status: 'too_few_sources', version: null, epsilon: 0, totalEpsilon: budget.epsilonAfter(published) };
  } else if (!current || current.manifest.version !== baseVersion || batch.some((u) => u.baseVersion !== baseVersion)) {
    record = { ...base, status: 'base_changed', version: null, epsilon: 0, totalEpsilon: budget.epsilonAfter(published) };
  } else {
    const built = await aggregateRound(ctx, current.manifest, await storedBytes(store, model, batch), batch.map(sourceOf), round);
    record = { ...base, status: 'published', version: built.artifact.manifest.version, epsilon, totalEpsilon: budget.epsilonAfter(published + 1), ...built.record };
    // Every blob first, then the round record (the commit), then the registry's record.
    for (const bytes of built.artifact.files.values()) await storage.blobs.put(bytes);
    await storage.blobs.put(built.deltaBytes);
    record.manifestSha256 = await storage.blobs.put(utf8.encode(canonicalJson(built.artifact.manifest)));
    await store.commitRound(model, record);
    st.rounds.push(record);
    st.pending = st.pending.slice(batch.length);
    index(st, cohort);
    try {
      await publishRound(ctx, record);
    } catch (err) {
      st.unpublished = record;
      throw err;
    }
    const popularity = ctx.popularity;
    if (popularity && built.counts) {
      await popularity.addItemCounts(model, built.counts, record.closedAt).catch((err: unknown) => {
        console.error(`federation: popularity counts of ${model}#${round} were not recorded:`, err);
      });
    }
    return;
  }
  await store.commitRound(model, record);
  st.rounds.push(record);
  st.pending = st.pending.slice(batch.length);
  index(st, cohort);
}

/** The round's updates as stored, read back from the round store (the federation keeps no bytes in memory). */
async function storedBytes(store: RoundStore, model: string, batch: readonly PendingUpdate[]): Promise<Uint8Array[]> {
  const stored = new Map((await store.load(model)).pending.map((u) => [u.seq, u]));
  return batch.map((u) => {
    const update = stored.get(u.seq);
    if (update?.id !== u.id) throw new Error(`round store: accepted update ${model} #${u.seq} (${u.id}) is not among its pending updates`);
    return update.bytes;
  });
}
