/**
 * Following a pipeline execution through its history: GetExecutionHistory (every page) on each
 * poll, each new event turned into at most one line — a state entered, exited or failed — and
 * what the CLI reports picked out on the way: the Admit state's decision (the run id), the
 * Finalize state's summary, and how the execution ended.
 *
 * Step Functions has no "events after id N" query, so each poll reads the history from the
 * start (1,000 events a page: one request for any run of normal length) and skips the events
 * it has already seen.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { withAwsErrors } from '../../lambdas/adapters/aws-errors';
import { TransientError } from '../../lambdas/core/errors';
import type { RunSummary } from '../../lambdas/core/finalize';
import { formatClock, oneLine, packageLabel } from '../format';

/** State names of the pipeline (lib/training-pipeline.ts) the CLI reads outputs of. */
export const STATES = { admit: 'Admit', evaluate: 'Evaluate', approval: 'Wait for approval', finalize: 'Finalize' } as const;

/** What the Admit state decided. */
export interface Admission {
  /** Undefined unless the outcome is "started" (or a queued follow-up). */
  readonly runId?: string;
  /** started, queued, covered, cooldown, duplicate or rejected. */
  readonly outcome: string;
  readonly reason: string;
  readonly holderRunId?: string;
}

/** What Finalize returned (lambdas/core/finalize.ts RunSummary), as far as the CLI reads it. */
export type FinalizeSummary = Pick<RunSummary, 'runId' | 'outcome' | 'reason' | 'durationSeconds'> &
  Partial<Pick<RunSummary, 'metric' | 'candidateMetric' | 'championMetric' | 'modelPackageArn' | 'failedStep' | 'error' | 'cause'>>;

/** How an execution ended, from its last event. */
export interface ExecutionEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly at?: Date;
  readonly error?: string;
  readonly cause?: string;
}

const END_EVENTS: Record<string, ExecutionEnd['status']> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** Events that report a failure inside a state (a task, a Lambda, a branch, an expression). */
const FAILURE_EVENTS = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
  'ParallelStateFailed',
  'MapStateFailed',
  'MapRunFailed',
  'EvaluationFailed',
]);

/** Choice and Pass states leave the moment they are entered: their exits are not printed. */
const SILENT_EXITS = new Set(['ChoiceStateExited', 'PassStateExited']);

/** Reads an execution's history incrementally. */
export class ExecutionHistory {
  admission?: Admission;
  summary?: FinalizeSummary;
  end?: ExecutionEnd;
  startedAt?: Date;
  private seen = 0;
  /** State name of each event, through previousEventId (parallel branches interleave). */
  private readonly stateOf = new Map<number, string>();

  constructor(
    private readonly sfn: SFNClient,
    readonly executionArn: string,
  ) {}

  /** Reads the events since the last poll and returns their lines. */
  async poll(): Promise<string[]> {
    const lines: string[] = [];
    for (const event of await this.newEvents()) {
      const line = this.take(event);
      if (line !== undefined) lines.push(line);
    }
    return lines;
  }

  private async newEvents(): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await withAwsErrors({ service: 'Step Functions', operation: 'GetExecutionHistory', context: { executionArn: this.executionArn } }, () =>
        this.sfn.send(
          new GetExecutionHistoryCommand({ executionArn: this.executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) }),
        ),
      );
      for (const event of page.events ?? []) if ((event.id ?? 0) > this.seen) events.push(event);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    events.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    if (events.length > 0) this.seen = events[events.length - 1].id ?? this.seen;
    return events;
  }

  private take(event: HistoryEvent): string | undefined {
    const type = event.type ?? '';
    const at = formatClock(event.timestamp);
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    const name = entered?.name ?? exited?.name ?? (event.previousEventId === undefined ? undefined : this.stateOf.get(event.previousEventId));
    if (event.id !== undefined && name !== undefined) this.stateOf.set(event.id, name);

    if (type === 'ExecutionStarted') {
      this.startedAt = event.timestamp;
      return undefined;
    }
    const end = END_EVENTS[type];
    if (end !== undefined) {
      const { error, cause } = failureOf(event);
      this.end = { status: end, at: event.timestamp, ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
      return undefined;
    }
    if (entered?.name !== undefined) {
      const hint = entered.name === STATES.approval ? approvalHint(entered.input) : '';
      return `${at}  entered  ${entered.name}${hint}`;
    }
    if (exited?.name !== undefined) {
      const detail = this.readOutput(exited.name, exited.output);
      return SILENT_EXITS.has(type) ? undefined : `${at}  exited   ${exited.name}${detail}`;
    }
    if (FAILURE_EVENTS.has(type)) {
      const { error, cause } = failureOf(event);
      const what = [error, cause].filter(Boolean).join(': ');
      return `${at}  failed   ${name ?? '(state)'}${what ? `: ${oneLine(what)}` : ''}`;
    }
    return undefined;
  }

  /** Keeps what the CLI reports from the outputs of Admit, Evaluate and Finalize; returns a note for the line. */
  private readOutput(state: string, output: string | undefined): string {
    const value = parseJson(output);
    if (value === undefined) return '';
    if (state === STATES.admit) {
      const admission = record(value.admission);
      const outcome = stringOf(admission?.outcome);
      if (outcome === undefined) return '';
      this.admission = {
        outcome,
        reason: stringOf(admission?.reason) ?? '',
        ...(stringOf(value.runId) ? { runId: stringOf(value.runId) } : {}),
        ...(stringOf(admission?.holderRunId) ? { holderRunId: stringOf(admission?.holderRunId) } : {}),
      };
      return this.admission.runId && outcome === 'started' ? ` — run ${this.admission.runId}: started` : ` — ${outcome}: ${oneLine(this.admission.reason)}`;
    }
    if (state === STATES.evaluate) {
      const decision = record(record(value.evaluation)?.decision);
      const reason = stringOf(decision?.reason);
      return reason === undefined ? '' : ` — gate ${decision?.passed === true ? 'passed' : 'failed'}: ${oneLine(reason)}`;
    }
    if (state === STATES.finalize) {
      const outcome = stringOf(value.outcome);
      const runId = stringOf(value.runId);
      if (outcome === undefined || runId === undefined) return '';
      this.summary = value as unknown as FinalizeSummary;
      return ` — ${outcome}`;
    }
    return '';
  }
}

/** The run id: Finalize's summary, else Admit's decision. */
export function runIdOf(history: ExecutionHistory): string | undefined {
  return history.summary?.runId ?? history.admission?.runId;
}

export interface PollSettings {
  /** Milliseconds between polls. */
  readonly intervalMs: number;
  /** Polls before giving up (the execution keeps running). */
  readonly maxPolls: number;
  /** Consecutive throttled or failed polls tolerated before the error is raised. */
  readonly transientTolerance?: number;
}

/**
 * Polls until `done` holds (checked after every poll) or maxPolls is used up; prints each line.
 * Returns whether `done` held. Throttling on one poll is retried on the next.
 */
export async function pollHistory(
  history: ExecutionHistory,
  settings: PollSettings,
  sleep: (ms: number) => Promise<void>,
  printLine: (line: string) => void,
  done: (history: ExecutionHistory) => boolean,
): Promise<boolean> {
  let transient = 0;
  for (let poll = 0; poll < settings.maxPolls; poll++) {
    if (poll > 0) await sleep(settings.intervalMs);
    try {
      for (const line of await history.poll()) printLine(line);
      transient = 0;
    } catch (error) {
      if (!(error instanceof TransientError) || ++transient > (settings.transientTolerance ?? 5)) throw error;
      continue;
    }
    if (done(history)) return true;
  }
  return false;
}

function approvalHint(input: string | undefined): string {
  const arn = stringOf(record(parseJson(input)?.registration)?.modelPackageArn);
  if (arn === undefined) return '';
  const version = /\/(\d+)$/.exec(arn)?.[1] ?? arn;
  return ` — package ${packageLabel(arn)} waits for a person: retrain approve ${version} (or retrain reject ${version} --reason <why>)`;
}

/** error and cause of whichever *EventDetails the event carries; a Lambda's JSON cause reads as its errorMessage. */
function failureOf(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, details] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof details !== 'object' || details === null) continue;
    const { error, cause } = details as { error?: unknown; cause?: unknown };
    if (typeof error === 'string' || typeof cause === 'string') {
      return { ...(typeof error === 'string' ? { error } : {}), ...(typeof cause === 'string' ? { cause: readableCause(cause) } : {}) };
    }
  }
  return {};
}

/** `{"errorType": ..., "errorMessage": "..."}` (a Lambda's error) reads as its message. */
export function readableCause(cause: string): string {
  const parsed = parseJson(cause);
  return stringOf(parsed?.errorMessage) ?? cause;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return record(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
