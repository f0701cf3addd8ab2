/**
 * `retrain run`: starts the pipeline with the manual-trigger input and reports the execution.
 *
 * The run id is decided by the execution's Admit state, so it is not known when StartExecution
 * returns. Without --wait the command polls the history for up to ADMISSION_POLL.maxPolls
 * seconds until Admit has finished and prints its decision (the run id, or why no run started:
 * queued, covered, cooldown, duplicate); if Admit takes longer it says so and returns. It exits
 * 1 when the pipeline rejected the input or the execution failed before admission. With
 * --wait it follows the execution state by state until it ends and exits non-zero when the run
 * failed. The same start-and-report serves `retrain rollback`.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createSfnExecutions } from '../../lambdas/adapters/sfn-executions';
import { UserError } from '../errors';
import { cloudAction, openContext, withCloudOptions, type CloudContext, type CloudDeps, type CloudOptions } from './context';
import { ExecutionHistory, pollHistory, runIdOf, type Admission, type ExecutionEnd, type FinalizeSummary } from './follow';
import { fields, formatDuration, oneLine } from '../format';
import { parsePositiveInteger, parseReason } from './parse';

/** Exit code when the followed run failed (the execution failed, or Finalize recorded "failed"). */
export const EXIT_RUN_FAILED = 1;
/** Exit code when --wait gave up (--timeout) while the execution keeps running. */
export const EXIT_STILL_RUNNING = 3;

/** Without --wait: one poll a second for up to 30 s, until the Admit state has decided. */
export const ADMISSION_POLL = { intervalMs: 1000, maxPolls: 30 } as const;
/** With --wait: one poll every 5 s. */
export const FOLLOW_INTERVAL_MS = 5000;
/** Default --timeout of --wait, in minutes. */
export const DEFAULT_WAIT_MINUTES = 24 * 60;

export interface WaitOptions {
  readonly wait?: boolean;
  /** Minutes --wait follows the execution before it gives up. */
  readonly timeout: number;
}

export interface RunCommandOptions extends CloudOptions, WaitOptions {
  readonly reason?: string;
  readonly dryRun?: boolean;
  readonly force?: boolean;
}

/** The object `retrain run --json` (and `retrain rollback --json`) prints. */
export interface StartedJson {
  readonly executionName: string;
  readonly executionArn: string;
  readonly consoleUrl: string;
  /** null until the Admit state has decided (or when no run started). */
  readonly runId: string | null;
  readonly admission: Admission | null;
  /** With --wait: how the execution ended (RUNNING when --timeout was reached). */
  readonly status?: ExecutionEnd['status'] | 'RUNNING';
  /** With --wait: Finalize's summary (null when the run did not get that far). */
  readonly summary?: FinalizeSummary | null;
  readonly error?: string;
  readonly cause?: string;
  readonly durationSeconds?: number;
}

export function registerRunCommand(program: Command, deps: CloudDeps): void {
  const command = program
    .command('run')
    .description('Start a retraining run (manual trigger) and print its run id, execution and console link.')
    .option('--reason <text>', 'why, recorded with the run (1-1000 characters)', parseReason)
    .option('--dry-run', 'train and evaluate, but neither register nor deploy')
    .option('--force', 'bypass the cooldown (recorded with the run; the cooldown holds back degradation and drift triggers only)');
  addWaitOptions(command);
  withCloudOptions(command, ['stateMachine']).action(
    cloudAction(async (options: RunCommandOptions) => {
      const context = await openContext(options, ['stateMachine'], deps);
      const input = { ...(options.reason === undefined ? {} : { reason: options.reason }), dryRun: options.dryRun === true, force: options.force === true };
      await startAndReport(context, 'run', input, options);
    }),
  );
}

/** --wait and --timeout, shared with `retrain rollback`. */
export function addWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'follow the execution state by state until it ends; exit 1 if the run failed')
    .option('--timeout <minutes>', 'with --wait: stop following after this long (exit 3; the run continues)', parsePositiveInteger, DEFAULT_WAIT_MINUTES);
}

/** The Step Functions console page of an execution. */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** `cli-run-20261127-120000-a1b2c3`: sortable, unique, valid as an execution name (and as the trigger's event id). */
export function executionName(kind: string, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `cli-${kind}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Starts an execution, prints where it is, then either waits for admission or follows it to
 * the end. `lead` is printed first (what is being started), `extra` joins the JSON object.
 */
export async function startAndReport(
  context: CloudContext,
  kind: 'run' | 'rollback',
  input: Record<string, unknown>,
  options: CloudOptions & WaitOptions,
  lead: ReadonlyArray<readonly [string, string]> = [],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const stateMachineArn = context.resource('stateMachine');
  const name = executionName(kind, context.clock.now());
  const { executionArn } = await createSfnExecutions(context.clients.sfn).start(stateMachineArn, name, input);
  const started = { executionName: executionArn.split(':').pop() ?? name, executionArn, consoleUrl: consoleUrl(executionArn) };
  const history = new ExecutionHistory(context.clients.sfn, executionArn);
  const header: Array<readonly [string, string]> = [...lead, ['Execution', started.executionName], ['ARN', executionArn], ['Console', started.consoleUrl]];

  if (!options.wait) {
    await pollHistory(history, ADMISSION_POLL, context.sleep, () => undefined, (h) => h.admission !== undefined || h.end !== undefined);
    const json: StartedJson = { ...extra, ...started, runId: runIdOf(history) ?? null, admission: history.admission ?? null };
    if (options.json) console.log(JSON.stringify(json));
    else console.log(fields([...header, ...admissionFields(history)]));
    // The pipeline refused the input, or the execution died before admission: not a run.
    if (history.admission?.outcome === 'rejected') throw new UserError(`the pipeline rejected the input: ${oneLine(history.admission.reason, 400)}`, EXIT_RUN_FAILED);
    if (history.admission === undefined && history.end !== undefined && history.end.status !== 'SUCCEEDED') {
      throw new UserError(failureOf(history, started.executionName) ?? `execution ${started.executionName} did not succeed`, EXIT_RUN_FAILED);
    }
    return;
  }

  // Progress goes to stdout for people; with --json, stdout carries only the final object.
  const progress = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  if (!options.json) console.log(fields(header));
  const maxPolls = Math.max(1, Math.ceil((options.timeout * 60_000) / FOLLOW_INTERVAL_MS));
  const ended = await pollHistory(history, { intervalMs: FOLLOW_INTERVAL_MS, maxPolls }, context.sleep, progress, (h) => h.end !== undefined);
  const end = history.end;
  const runId = runIdOf(history);
  const durationSeconds = history.summary?.durationSeconds ?? secondsOf(history.startedAt, end?.at);
  const json: StartedJson = {
    ...extra,
    ...started,
    runId: runId ?? null,
    admission: history.admission ?? null,
    status: ended && end ? end.status : 'RUNNING',
    summary: history.summary ?? null,
    ...(end?.error ? { error: end.error } : {}),
    ...(end?.cause ? { cause: end.cause } : {}),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  };
  if (!ended || end === undefined) {
    if (options.json) console.log(JSON.stringify(json));
    throw new UserError(
      `${runId ? `run ${runId}` : `execution ${started.executionName}`} is still running after ${options.timeout} minute${options.timeout === 1 ? '' : 's'}; it continues: ${started.consoleUrl}`,
      EXIT_STILL_RUNNING,
    );
  }
  const failure = failureOf(history, started.executionName);
  if (options.json) console.log(JSON.stringify(json));
  else if (failure === undefined) console.log(conclusion(history, durationSeconds));
  if (failure !== undefined) throw new UserError(failure, EXIT_RUN_FAILED);
}

function admissionFields(history: ExecutionHistory): Array<readonly [string, string]> {
  const { admission, end } = history;
  if (admission === undefined) {
    if (end !== undefined && end.status !== 'SUCCEEDED') {
      return [['Run', `none: the execution ${end.status.toLowerCase().replace('_', ' ')}${end.error ? ` (${end.error}: ${oneLine(end.cause ?? '')})` : ''}`]];
    }
    return [['Run', 'not known yet: the Admit state has not finished; see retrain status or the console']];
  }
  return [
    ['Run', admission.runId !== undefined && admission.outcome === 'started' ? admission.runId : `none (${admission.outcome})`],
    ['Admission', `${admission.outcome}: ${oneLine(admission.reason)}`],
  ];
}

/** The last line of a followed run that did not fail. */
function conclusion(history: ExecutionHistory, durationSeconds: number | undefined): string {
  const { summary, admission } = history;
  if (summary !== undefined) return `Run ${summary.runId}: ${summary.outcome} after ${formatDuration(durationSeconds)} — ${oneLine(summary.reason)}`;
  if (admission !== undefined && admission.outcome !== 'started') return `No run started: ${admission.outcome} — ${oneLine(admission.reason)}`;
  return `Execution succeeded after ${formatDuration(durationSeconds)}`;
}

/** Why the followed run failed, or undefined when it did not. */
function failureOf(history: ExecutionHistory, executionName: string): string | undefined {
  const { summary, end } = history;
  if (summary?.outcome === 'failed') return `run ${summary.runId} failed: ${oneLine(summary.reason, 400)}`;
  if (end === undefined || end.status === 'SUCCEEDED') return undefined;
  const runId = runIdOf(history);
  const what = [end.error, end.cause].filter(Boolean).join(': ');
  return `${runId ? `run ${runId}` : `execution ${executionName}`} ${end.status.toLowerCase().replace('_', ' ')}${what ? `: ${oneLine(what, 400)}` : ''}`;
}

function secondsOf(start: Date | undefined, end: Date | undefined): number | undefined {
  return start === undefined || end === undefined ? undefined : Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000));
}
