/**
 * Where a training job runs: in a module Web Worker where the browser has them, else on the main thread
 * one local step per idle period (`requestIdleCallback`), so a browser without workers still never sees a
 * long task from us.
 */
import type { JobResult, TrainingJob } from './protocol.ts';
// The built worker's URL (a content-hashed asset beside the chunks), resolved against this chunk's URL.
import workerUrl from './worker.ts?worker&url';
import { startWorker } from '../workers/start.ts';

/** `worker`: a module Web Worker (default where available); `main`: idle-time chunks on the page's thread. */
export type Place = 'worker' | 'main';

/** Resolves at the page's next idle period (or after a short timeout where `requestIdleCallback` is missing). */
export function idle(timeout = 2000): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout });
    else setTimeout(resolve, 1);
  });
}

function inWorker(job: TrainingJob, signal?: AbortSignal): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    let started: ReturnType<typeof startWorker>;
    try {
      started = startWorker(workerUrl, 'edge-recs-training');
    } catch (e) {
      reject(e);
      return;
    }
    const { worker } = started;
    const done = (): void => {
      worker.terminate();
      started.dispose();
      signal?.removeEventListener('abort', abort);
    };
    const abort = (): void => {
      done();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.addEventListener('message', (e: MessageEvent<JobResult>) => {
      done();
      resolve(e.data);
    });
    // A worker that cannot load (CSP without worker-src or blob:, a blocked chunk, no CORS) reports it here.
    worker.addEventListener('error', (e) => {
      // Handled here: not cancelled, the worker's error would be reported on the page as uncaught.
      e.preventDefault();
      done();
      reject(new Error(`training worker failed: ${e.message || 'could not load'}`));
    });
    worker.postMessage(job);
  });
}

async function onMainThread(job: TrainingJob): Promise<JobResult> {
  // Gradients are registered only when training actually runs here; the worker registers its own.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  // The page's runtime has normally chosen a backend already; a page without one trains on the CPU.
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.ready();
  const { runJob } = await import('./run-job.ts');
  await idle();
  return runJob(job, { pause: () => idle() });
}

/**
 * Runs `job` where asked (`worker` falls back to `main` when no worker can start). Resolves with the
 * job's result and where it ran; rejects only when aborted.
 */
export async function runTraining(job: TrainingJob, place: Place, signal?: AbortSignal): Promise<JobResult & { place: Place }> {
  if (place === 'worker') {
    try {
      return { ...(await inWorker(job, signal)), place: 'worker' };
    } catch (e) {
      if (signal?.aborted) throw e;
      // Fall through: the page keeps its idle-time fallback.
    }
  }
  signal?.throwIfAborted();
  return { ...(await onMainThread(job)), place: 'main' };
}
