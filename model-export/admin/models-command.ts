/**
 * `edge-recs models list|promote|rollback|canary set|canary stop`: which version of a model the edge
 * server serves, through its admin API (`/v1/admin/models/:name/*`). Each change runs on the server in
 * one write by the record's single writer; the command prints who gets which version afterwards.
 */
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { adminClient, servingLine, type AdminArgs, type ModelState } from './admin-client.ts';
import { CliError } from '../errors.ts';

export interface ModelsArgs extends AdminArgs {
  /** `--name`: the model (default `default`, the widget's). */
  name: string;
  json: boolean;
}

export type ModelsAction =
  | { op: 'list' }
  | { op: 'promote'; version: string }
  | { op: 'rollback' }
  | { op: 'canary'; version: string; percent: number }
  | { op: 'stop-canary' };

/** What the command prints once the server has answered `state`. */
function describe(action: ModelsAction, state: ModelState): string {
  const name = state.name;
  switch (action.op) {
    case 'list': {
      const width = Math.max(...state.versions.map((v) => v.version.length), 7);
      const rows = state.versions.map((v) => {
        const role = v.version === state.current ? 'current' : v.version === state.canary?.version ? `canary ${state.canary.percent}%` : '';
        return `  ${v.version.padEnd(width)}  ${v.publishedAt}  ${role}`.trimEnd();
      });
      return [`${name}: ${servingLine(state)}`, `  ${'version'.padEnd(width)}  published`, ...rows].join('\n');
    }
    case 'promote':
      return state.canary
        ? `${name}: ${state.current} now current; ${state.canary.version} stays on ${state.canary.percent}% (canary)`
        : `${name}: ${state.current} now current for everyone`;
    case 'rollback':
      return `${name}: rolled back; ${state.current} now current for everyone`;
    case 'canary':
      return `${name}: ${state.canary?.version} now on ${state.canary?.percent}% (canary), ${state.current} current`;
    case 'stop-canary':
      return `${name}: no canary; ${state.current} current for everyone`;
  }
}

export async function modelsCommand(action: ModelsAction, a: ModelsArgs): Promise<void> {
  if (!MODEL_NAME.test(a.name)) throw new CliError(`--name must match ${MODEL_NAME} (got "${a.name}")`, 2);
  if (action.op === 'canary' && (!Number.isInteger(action.percent) || action.percent < 1 || action.percent > 100)) {
    throw new CliError(`--percent must be an integer 1-100 (got "${action.percent}"); "edge-recs models canary stop" ends a canary`, 2);
  }
  const client = adminClient(a);
  const path = `models/${encodeURIComponent(a.name)}`;
  const json = (body: unknown) => ({ type: 'application/json', data: JSON.stringify(body) });
  const { body } = await (() => {
    switch (action.op) {
      case 'list':
        return client.send('GET', `${path}/versions`, `the versions of ${a.name}`);
      case 'promote':
        return client.send('POST', `${path}/promote`, `promoting ${a.name}@${action.version}`, json({ version: action.version }));
      case 'rollback':
        return client.send('POST', `${path}/rollback`, `rolling back ${a.name}`);
      case 'canary':
        return client.send('PUT', `${path}/canary`, `a canary of ${a.name}@${action.version}`, json({ version: action.version, percent: action.percent }));
      case 'stop-canary':
        return client.send('DELETE', `${path}/canary`, `ending the canary of ${a.name}`);
    }
  })();
  const state = body as unknown as ModelState;
  console.log(a.json ? JSON.stringify(state) : describe(action, state));
}
