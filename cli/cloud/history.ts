/**
 * `retrain history`: the run history (RUN partition of the state table), newest first, with
 * trigger, outcome, the candidate's and the champion's metric and the duration. `retrain
 * status` shows the last five runs with the same columns.
 */
import type { Command } from 'commander';
import { KEYS, triggerCountOf, triggerTypesOf, type RunRecord, type RunStatus } from '../../lambdas/core/admission';
import { TRIGGER_TYPES, type TriggerType } from '../../lambdas/core/types';
import { cloudAction, openContext, print, withCloudOptions, type CloudContext, type CloudDeps, type CloudOptions } from './context';
import { NONE, formatDuration, formatMetric, formatTime, packageLabel, secondsBetween, table, type Column } from '../format';
import { oneOf, parsePositiveInteger } from './parse';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'deployed', 'rejected', 'dry-run', 'awaiting-approval', 'rolled-back', 'failed'];
export const DEFAULT_HISTORY_LIMIT = 20;

export interface HistoryCommandOptions extends CloudOptions {
  readonly limit: number;
  readonly trigger?: TriggerType;
  readonly outcome?: RunStatus;
}

/** One run as `--json` prints it. */
export interface RunJson {
  readonly runId: string;
  readonly trigger: TriggerType;
  /** Triggers the run answers (more than one for a follow-up run). */
  readonly triggers: number;
  readonly reason: string;
  readonly outcome: RunStatus;
  readonly dryRun: boolean;
  readonly rollbackTo: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** null while the run is going. */
  readonly durationSeconds: number | null;
  readonly metric: string | null;
  readonly candidateMetric: number | null;
  readonly championMetric: number | null;
  readonly modelPackageArn: string | null;
  readonly cause: string | null;
  readonly executionArn: string;
}

export function registerHistoryCommand(program: Command, deps: CloudDeps): void {
  const command = program
    .command('history')
    .description('List runs, newest first: trigger, outcome, candidate and champion metric, duration.')
    .option('--limit <n>', 'how many runs', parsePositiveInteger, DEFAULT_HISTORY_LIMIT)
    .option('--trigger <type>', `only runs answering this trigger type (${TRIGGER_TYPES.join(', ')})`, oneOf(TRIGGER_TYPES))
    .option('--outcome <outcome>', `only runs with this outcome (${RUN_STATUSES.join(', ')})`, oneOf(RUN_STATUSES));
  withCloudOptions(command, ['table']).action(
    cloudAction(async (options: HistoryCommandOptions) => {
      const context = await openContext(options, ['table'], deps);
      const runs = await readRuns(context, options);
      const now = context.clock.now();
      const filtered = options.trigger !== undefined || options.outcome !== undefined;
      print(options, { runs: runs.map(runJson) }, () =>
        runs.length === 0 ? (filtered ? 'No runs match the filters.' : 'No runs yet.') : runTable(runs, now),
      );
    }),
  );
}

/** Newest first. Filters are applied to the whole partition, then the limit. */
export async function readRuns(context: CloudContext, options: Pick<HistoryCommandOptions, 'limit' | 'trigger' | 'outcome'>): Promise<RunRecord[]> {
  const filtered = options.trigger !== undefined || options.outcome !== undefined;
  const items = await context.state.query<RunRecord>(KEYS.runPk, { newestFirst: true, ...(filtered ? {} : { limit: options.limit }) });
  return items
    .map((item) => item.data)
    .filter((run) => options.outcome === undefined || run.status === options.outcome)
    .filter((run) => options.trigger === undefined || triggerTypesOf(run).includes(options.trigger as TriggerType))
    .slice(0, options.limit);
}

const COLUMNS: Column[] = [
  { header: 'run' },
  { header: 'trigger' },
  { header: 'outcome' },
  { header: 'started' },
  { header: 'duration', align: 'right' },
  { header: 'metric' },
  { header: 'candidate', align: 'right' },
  { header: 'champion', align: 'right' },
  { header: 'package' },
];

export function runTable(runs: readonly RunRecord[], now: Date, indent = ''): string {
  return table(
    COLUMNS,
    runs.map((run) => {
      const count = triggerCountOf(run);
      const type = run.options?.rollbackTo ? 'rollback' : run.trigger.type;
      return [
        run.runId,
        count > 1 ? `${type} +${count - 1}` : type,
        run.status,
        formatTime(run.startedAt),
        formatDuration(secondsBetween(run.startedAt, run.endedAt ?? now)),
        run.metric ?? NONE,
        formatMetric(run.candidateMetric),
        formatMetric(run.championMetric),
        packageLabel(run.modelPackageArn),
      ];
    }),
    indent,
  );
}

export function runJson(run: RunRecord): RunJson {
  const duration = secondsBetween(run.startedAt, run.endedAt);
  return {
    runId: run.runId,
    trigger: run.trigger.type,
    triggers: triggerCountOf(run),
    reason: run.trigger.reason,
    outcome: run.status,
    dryRun: run.options?.dryRun === true,
    rollbackTo: run.options?.rollbackTo ?? null,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    durationSeconds: duration === undefined ? null : Math.round(duration),
    metric: run.metric ?? null,
    candidateMetric: run.candidateMetric ?? null,
    championMetric: run.championMetric ?? null,
    modelPackageArn: run.modelPackageArn ?? null,
    cause: run.cause ?? null,
    executionArn: run.executionArn,
  };
}

