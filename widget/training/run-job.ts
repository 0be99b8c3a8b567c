/**
 * Runs one training job: `trainClientUpdate` then `encodeClientUpdate`, on whatever tfjs backend is
 * active. Used by the worker and by the main-thread fallback.
 */
import { encodeClientUpdate, trainClientUpdate, type ClientTrainingOptions } from '../../core/federated/client.ts';
import type { JobResult, TrainingJob } from './protocol.ts';

export async function runJob(job: TrainingJob, extra: Pick<ClientTrainingOptions, 'pause'> = {}): Promise<JobResult> {
  try {
    const update = await trainClientUpdate({ config: job.config, weights: job.weights, ...(job.features && { features: job.features, withoutId: job.withoutId }) }, job.sequence, { ...job.options, ...extra });
    const bytes = encodeClientUpdate(update.delta, { ...job.labels, config: job.config }, job.encoding);
    return { ok: true, bytes, norm: update.norm, historyRows: update.historyRows };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
