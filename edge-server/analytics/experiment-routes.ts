/**
 * Holdout experiments per model, mounted under `/v1/admin` behind the admin token:
 *
 *   PUT    /models/:name/experiment   {"name", "holdout", "control"}: start one (the server sets `startedAt`);
 *                                     409 `experiment_running` while one runs (end it first: a running
 *                                     experiment is never replaced, or its read-out would mix two setups),
 *                                     409 `experiment_name_used` for the name of a kept ended one
 *   GET    /models/:name/experiment   {"model", "experiment": the running one or null, "ended": [...]}
 *   DELETE /models/:name/experiment   end it: devices stop drawing arms at their next /v1/popular; its
 *                                     counts stay, and the read-out shows it until another starts
 *
 * The experiment is stored with the model's analytics (the Node log, the model's Durable Object), where
 * `GET /v1/popular` reads it for the widget and `POST /v1/metrics` checks a batch's experiment names.
 */
import { Hono } from 'hono';
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { EXPERIMENT_NAME, parseExperimentStart, type Experiment } from '../../core/experiment.ts';
import { limitBody, readJson, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import type { MetaStore } from '../models/storage.ts';
import { experimentReadout, type ExperimentReadout } from './experiment-readout.ts';
import type { AnalyticsStore, EndedExperiment } from './store.ts';

/** A start body is three short fields. */
const START_BODY = 4 * 1024;

/**
 * The read-out of the model's experiment: `name` where given (a running or kept ended one; 404 for any
 * other), else the running one, else the most recently ended, else `null`.
 */
export async function readExperimentReadout(store: AnalyticsStore, model: string, name: string | undefined, k: number): Promise<ExperimentReadout | null> {
  if (name !== undefined && !EXPERIMENT_NAME.test(name)) {
    throw new ApiError(400, 'bad_experiment', `?experiment= must be 1-64 letters, digits, ".", "_" or "-" (got ${JSON.stringify(name)})`);
  }
  const { running, ended } = await store.getExperiments(model);
  const all: Array<Experiment | EndedExperiment> = [...(running ? [running] : []), ...ended];
  const experiment = name === undefined ? all[0] : all.find((e) => e.name === name);
  if (name !== undefined && !experiment) {
    throw new ApiError(404, 'unknown_experiment', `model ${model} has no experiment named ${JSON.stringify(name)} (kept: ${all.map((e) => e.name).join(', ') || 'none'})`);
  }
  if (!experiment) return null;
  const { counts, revenue } = await store.readExperiment(model, experiment.name);
  return experimentReadout(experiment, counts, revenue, k);
}

export function experimentAdminRoutes(store: AnalyticsStore, meta: MetaStore): Hono {
  const routes = new Hono();

  /** The model of the path: published, since an experiment of any other name would split no widget's traffic. */
  const publishedModel = async (name: string): Promise<string> => {
    if (!MODEL_NAME.test(name)) throw new ApiError(400, 'bad_model', `model name must match ${MODEL_NAME} (got ${JSON.stringify(name)})`);
    if (!(await meta.getModel(name))) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(name)} is published; an experiment belongs to a published model`);
    return name;
  };

  routes.put('/models/:name/experiment', limitBody(START_BODY), async (c) => {
    const model = await publishedModel(c.req.param('name'));
    requireMediaType(c, ['application/json']);
    const start = parseExperimentStart(await readJson(c));
    const experiment: Experiment = { ...start, startedAt: new Date().toISOString() };
    const refusal = await store.startExperiment(model, experiment);
    c.header('Cache-Control', 'no-store');
    if (refusal === 'running') {
      const { running } = await store.getExperiments(model);
      throw new ApiError(
        409,
        'experiment_running',
        `model ${model} already runs experiment ${JSON.stringify(running?.name ?? '?')} (started ${running?.startedAt ?? '?'}); end it first (DELETE /v1/admin/models/${model}/experiment, or edge-recs experiment stop), then start the new one`,
      );
    }
    if (refusal === 'name_used') {
      throw new ApiError(409, 'experiment_name_used', `model ${model} already had an experiment named ${JSON.stringify(start.name)}; its counts are kept under that name, so pick a new one (e.g. ${JSON.stringify(`${start.name}-2`)})`);
    }
    // A bestsellers control without a bestseller list shows catalog order: a weaker control than the
    // merchant chose, which would overstate the uplift. Started all the same (the list may follow), and said.
    const warnings: string[] = [];
    if (experiment.control === 'bestsellers' && !((await store.getBestsellers(model))?.ids.length)) {
      warnings.push(
        `model ${model} has no bestseller list: until you upload one (PUT /v1/admin/models/${model}/bestsellers, or edge-recs bestsellers upload), control devices see your catalog's order, a weaker control than your bestsellers, which makes the measured uplift larger than it would be against them`,
      );
    }
    return c.json({ model, experiment, warnings }, 201);
  });

  routes.get('/models/:name/experiment', async (c) => {
    const model = await publishedModel(c.req.param('name'));
    const { running, ended } = await store.getExperiments(model);
    c.header('Cache-Control', 'no-store');
    return c.json({ model, experiment: running, ended });
  });

  routes.delete('/models/:name/experiment', async (c) => {
    const model = await publishedModel(c.req.param('name'));
    const ended = await store.endExperiment(model, new Date().toISOString());
    if (!ended) throw new ApiError(404, 'no_experiment', `model ${model} runs no experiment (start one with PUT /v1/admin/models/${model}/experiment, or edge-recs experiment start)`);
    c.header('Cache-Control', 'no-store');
    return c.json({ model, ended });
  });

  return routes;
}
