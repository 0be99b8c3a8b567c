/**
 * `edge-recs experiment start|status|stop`: a model's holdout experiment on the edge server, through its
 * admin API (`PUT|DELETE /v1/admin/models/:name/experiment`, and the read-out in `GET /v1/admin/metrics`).
 * `status` prints the read-out in plain text: each arm's figures, the uplift with its 95% interval and the
 * verdict, as the dashboard shows them.
 */
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { showMajor } from '../../core/currency.ts';
import { EXPERIMENT_CONTROLS, EXPERIMENT_NAME, HOLDOUT_RANGE, type ExperimentControl } from '../../core/experiment.ts';
import { CliError } from '../errors.ts';
import { adminClient, type AdminArgs } from './admin-client.ts';

export interface ExperimentArgs extends AdminArgs {
  /** `--model`: the model whose traffic is split (default `default`, the widget's). */
  model: string;
  json: boolean;
}

export type ExperimentAction = { op: 'start'; name: string; holdout: number; control: ExperimentControl } | { op: 'status' } | { op: 'stop' };

interface Interval {
  estimate: number;
  ci95: [number, number];
}

/** The read-out as `GET /v1/admin/metrics` answers it (`edge-server/analytics/experiment-readout.ts`). */
interface Readout {
  name: string;
  holdout: number;
  control: string;
  startedAt: string;
  endedAt: string | null;
  currency: string | null;
  otherCurrencies: string[];
  arms: Array<{ arm: string; sessions: number | null; conversions: number | null; conversionRate: number | null; orders: number | null; revenue: number | null; revenuePerSession: number | null }>;
  uplift: { conversionRate: Interval | null; revenuePerSession: Interval | null } | null;
  verdict: string;
  suppressedBelow: number;
}

/** What the control arm's rows show, in words. */
const CONTROL_WORDS: Record<string, string> = {
  bestsellers: 'the non-personalized fallback (your bestsellers, then catalog order)',
  none: 'no recommendations (the rows collapse)',
};

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const count = (v: number | null): string => (v === null ? '<k' : v.toLocaleString('en'));
const percent = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
const money = (v: number | null, currency: string | null): string => (v === null ? '–' : showMajor(v, currency));
const interval = (i: Interval | null | undefined): string => (i ? `${signed(i.estimate)} (95% interval ${signed(i.ci95[0])} to ${signed(i.ci95[1])})` : 'not shown yet');

/** The read-out in plain text, one figure per column, aligned. */
function describeReadout(model: string, r: Readout): string {
  const when = r.endedAt ? `ran ${r.startedAt} to ${r.endedAt}` : `running since ${r.startedAt}`;
  const currency = r.currency ?? '';
  const head = ['arm', 'sessions', 'conversions', 'conv. rate', 'orders', `revenue${currency ? ` (${currency})` : ''}`, 'per session'];
  const rows = r.arms.map((a) => [a.arm, count(a.sessions), count(a.conversions), percent(a.conversionRate), count(a.orders), a.revenue === null && r.currency !== null ? '<k' : money(a.revenue, r.currency), money(a.revenuePerSession, r.currency)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [
    `${model}: experiment ${r.name} (${when}; ${Math.round(r.holdout * 1000) / 10}% of devices in control, shown ${CONTROL_WORDS[r.control] ?? r.control})`,
    line(head),
    ...rows.map(line),
    `  uplift in conversion rate:      ${interval(r.uplift?.conversionRate)}`,
    `  uplift in revenue per session:  ${interval(r.uplift?.revenuePerSession)}`,
    `  verdict: ${r.verdict}`,
    ...(r.otherCurrencies.length > 0 ? [`  revenue read in ${currency}, the currency most revenue reports came in; not counted here: ${r.otherCurrencies.join(', ')}`] : []),
    `  <k: fewer than ${r.suppressedBelow}, not shown. Intervals are always-valid: checking them every day does not make a false result likelier.`,
  ].join('\n');
}

export async function experimentCommand(action: ExperimentAction, a: ExperimentArgs): Promise<void> {
  if (!MODEL_NAME.test(a.model)) throw new CliError(`--model must match ${MODEL_NAME} (got "${a.model}")`, 2);
  if (action.op === 'start') {
    if (!EXPERIMENT_NAME.test(action.name)) throw new CliError(`--name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${action.name}")`, 2);
    if (!Number.isFinite(action.holdout) || action.holdout < HOLDOUT_RANGE.min || action.holdout > HOLDOUT_RANGE.max) {
      throw new CliError(`--holdout must be the control arm's share of devices, ${HOLDOUT_RANGE.min}-${HOLDOUT_RANGE.max} (got "${action.holdout}")`, 2);
    }
    if (!EXPERIMENT_CONTROLS.includes(action.control)) throw new CliError(`--control must be one of ${EXPERIMENT_CONTROLS.join(', ')} (got "${action.control}")`, 2);
  }
  const client = adminClient(a, { modelFlag: '--model' });
  const path = `models/${encodeURIComponent(a.model)}/experiment`;
  switch (action.op) {
    case 'start': {
      const { body } = await client.send('PUT', path, `experiment ${action.name} of ${a.model}`, {
        type: 'application/json',
        data: JSON.stringify({ name: action.name, holdout: action.holdout, control: action.control }),
      });
      if (a.json) return console.log(JSON.stringify(body));
      const e = body.experiment as { name: string; startedAt: string };
      for (const warning of (body.warnings as string[] | undefined) ?? []) console.error(`warning: ${warning}`);
      return console.log(
        `${a.model}: experiment ${e.name} started at ${e.startedAt}; ${Math.round(action.holdout * 1000) / 10}% of devices are in control and see ${CONTROL_WORDS[action.control]}. ` +
          `Widgets pick it up at their next /v1/popular fetch (cached up to 5 minutes). Read it with: edge-recs experiment status --model ${a.model}`,
      );
    }
    case 'status': {
      const { body } = await client.send('GET', `metrics?model=${encodeURIComponent(a.model)}`, `the read-out of ${a.model}`);
      const readout = (body.experiment ?? null) as Readout | null;
      if (a.json) return console.log(JSON.stringify(readout));
      if (!readout) return console.log(`${a.model}: no experiment has run; start one with: edge-recs experiment start --model ${a.model} --name spring-test --holdout 0.1 --control bestsellers`);
      return console.log(describeReadout(a.model, readout));
    }
    case 'stop': {
      const { body } = await client.send('DELETE', path, `ending the experiment of ${a.model}`);
      if (a.json) return console.log(JSON.stringify(body));
      const e = body.ended as { name: string; endedAt: string };
      return console.log(`${a.model}: experiment ${e.name} ended at ${e.endedAt}; control devices get personalized recommendations again at their next /v1/popular fetch (cached up to 5 minutes). Its read-out stays: edge-recs experiment status --model ${a.model}`);
    }
  }
}
