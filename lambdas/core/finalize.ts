/**
 * The end of every run that got past admission: decide its outcome from what the state
 * machine recorded, write it to the run history, release the lock (covering, cooling down
 * or carrying the triggers that arrived meanwhile), and tell people and systems: one SNS
 * message, one EventBridge event, CloudWatch metrics.
 */
import type { EventPublisher, MetricDatum, MetricsSink, Notifier } from '../adapters/ports';
import { KEYS, releaseLock, TRIGGER_SAMPLE, triggerTypesOf, type AdmissionPorts, type AdmissionSettings, type ReleaseResult, type RunRecord, type RunStatus } from './admission';
import type { ExecutionRef } from './triggers';
import { RUN_EVENT_TYPES_BY_OUTCOME } from './run-events';
import type { GateDecision, RunOptions, Trigger } from './types';

/** What the state machine hands to Finalize: its whole state ($). */
export interface RunState {
  readonly runId: string;
  readonly trigger: Trigger;
  readonly triggers?: Trigger[];
  readonly triggerCount?: number;
  readonly options: RunOptions;
  readonly prepared?: { rows?: Record<string, number>; keys?: Record<string, string>; champion?: { runId?: string } | null };
  readonly training?: { jobName?: string; modelArtifacts?: string };
  readonly evaluation?: {
    decision?: GateDecision;
    approvalStatus?: 'Approved' | 'Rejected' | 'PendingManualApproval';
  };
  readonly registration?: { modelPackageArn?: string };
  readonly approval?: { approved?: boolean; reason?: string };
  readonly deploy?: { endpointConfigName?: string; previousEndpointConfigName?: string | null };
  readonly endpoint?: { status?: string; endpointConfigName?: string; failureReason?: string | null };
  readonly promotion?: unknown;
  readonly failedStep?: string;
  readonly error?: { Error?: string; Cause?: string };
}

export interface FinalizeRequest {
  readonly run: RunState;
  readonly execution: ExecutionRef;
  readonly stateMachineArn: string;
  readonly settings: AdmissionSettings;
}

export type RunOutcome = Exclude<RunStatus, 'running'>;

export interface RunSummary {
  readonly runId: string;
  readonly outcome: RunOutcome;
  /** In words: why this outcome. */
  readonly reason: string;
  readonly trigger: Trigger;
  /** The first triggers the run answered (at most TRIGGER_SAMPLE), and how many in all. */
  readonly triggers: Trigger[];
  readonly triggerCount: number;
  readonly dryRun: boolean;
  readonly metric?: string;
  readonly candidateMetric?: number;
  readonly championMetric?: number;
  readonly modelPackageArn?: string;
  readonly endpointConfigName?: string;
  readonly rows?: Record<string, number>;
  readonly quarantineKey?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationSeconds: number;
  readonly executionArn: string;
  readonly release: ReleaseResult;
  /** For a failed run: the step, the error name and a cause a person can read. */
  readonly failedStep?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface FinalizePorts extends AdmissionPorts {
  readonly events: EventPublisher;
  readonly notifier: Notifier;
  readonly metrics: MetricsSink;
}

export async function finalizeRun(ports: FinalizePorts, request: FinalizeRequest): Promise<RunSummary> {
  const { run } = request;
  const previous = await ports.state.get<RunRecord & { summary?: RunSummary; announced?: boolean }>(KEYS.runPk, run.runId);
  if (previous && previous.data.status !== 'running' && previous.data.status !== 'awaiting-approval' && previous.data.summary) {
    // A retry after the lock was released and the record written: only finish announcing.
    if (!previous.data.announced) await announce(ports, previous.data.summary, run.runId);
    return previous.data.summary;
  }
  const decided = decideOutcome(run);
  const now = ports.clock.now();
  // The run began when admission started it (the execution may have waited in the queue).
  const startedAt = previous?.data.startedAt ?? request.execution.startTime;
  const started = Date.parse(startedAt);
  const release = await releaseLock(ports, {
    runId: run.runId,
    executionArn: request.execution.arn,
    stateMachineArn: request.stateMachineArn,
    status: decided.outcome,
    settings: request.settings,
  });
  const decision = run.evaluation?.decision;
  const summary: RunSummary = {
    runId: run.runId,
    outcome: decided.outcome,
    reason: decided.reason,
    trigger: run.trigger,
    triggers: (run.triggers ?? [run.trigger]).slice(0, TRIGGER_SAMPLE),
    triggerCount: run.triggerCount ?? run.triggers?.length ?? 1,
    dryRun: run.options.dryRun,
    ...(decision ? { metric: decision.metric, candidateMetric: decision.candidate } : {}),
    ...(decision?.champion !== undefined ? { championMetric: decision.champion } : {}),
    ...(run.registration?.modelPackageArn ? { modelPackageArn: run.registration.modelPackageArn } : {}),
    ...(run.deploy?.endpointConfigName ? { endpointConfigName: run.deploy.endpointConfigName } : {}),
    ...(run.prepared?.rows ? { rows: run.prepared.rows } : {}),
    ...(run.prepared?.keys?.quarantine ? { quarantineKey: run.prepared.keys.quarantine } : {}),
    startedAt,
    endedAt: now.toISOString(),
    durationSeconds: Number.isNaN(started) ? 0 : Math.max(0, Math.round((now.getTime() - started) / 1000)),
    executionArn: request.execution.arn,
    release,
    ...(decided.outcome === 'failed' ? { failedStep: run.failedStep, error: decided.error, cause: decided.reason } : {}),
  };

  await ports.state.put<RunRecord & { summary: RunSummary; announced: boolean }>(
    {
      pk: KEYS.runPk,
      sk: run.runId,
      data: {
        runId: run.runId,
        executionArn: request.execution.arn,
        trigger: summary.trigger,
        triggers: summary.triggers,
        triggerCount: summary.triggerCount,
        triggerTypes: previous?.data.triggerTypes ?? triggerTypesOf(summary),
        options: run.options,
        startedAt: summary.startedAt,
        status: summary.outcome,
        endedAt: summary.endedAt,
        ...(summary.metric ? { metric: summary.metric } : {}),
        ...(summary.candidateMetric !== undefined ? { candidateMetric: summary.candidateMetric } : {}),
        ...(summary.championMetric !== undefined ? { championMetric: summary.championMetric } : {}),
        ...(summary.modelPackageArn ? { modelPackageArn: summary.modelPackageArn } : {}),
        cause: summary.reason,
        covered: release.covered,
        summary,
        announced: false,
      },
    },
    { always: true },
  );
  await announce(ports, summary, run.runId);
  return summary;
}

/** One event, one notification, the run metrics; then the record says so (at least once on retries). */
async function announce(ports: FinalizePorts, summary: RunSummary, runId: string): Promise<void> {
  const detailType = RUN_EVENT_TYPES_BY_OUTCOME[summary.outcome];
  await ports.events.publish(detailType, summaryDetail(summary));
  await ports.notifier.notify(`retrain: ${detailType} (run ${summary.runId})`, describe(summary));
  await ports.metrics.put(runMetrics(summary));
  const record = await ports.state.get<RunRecord & { announced?: boolean }>(KEYS.runPk, runId);
  if (record) await ports.state.put({ pk: KEYS.runPk, sk: runId, data: { ...record.data, announced: true } }, { ifVersion: record.version });
}

/** The outcome, from what the state machine recorded on its way to Finalize. */
export function decideOutcome(run: RunState): { outcome: RunOutcome; reason: string; error?: string } {
  if (run.failedStep || run.error?.Error) {
    const error = run.error?.Error ?? 'Error';
    return { outcome: 'failed', error, reason: `${run.failedStep ?? 'A step'} failed: ${readableCause(run.error?.Cause) || error}` };
  }
  const decision = run.evaluation?.decision;
  if (run.options.dryRun) {
    return { outcome: 'dry-run', reason: `dry run, nothing registered or deployed: ${decision?.reason ?? 'evaluated'}` };
  }
  const status = run.evaluation?.approvalStatus;
  if (status === 'Rejected') return { outcome: 'rejected', reason: decision?.reason ?? 'the candidate did not pass the gate' };
  if (status === 'PendingManualApproval' && run.approval?.approved !== true) {
    if (run.approval) return { outcome: 'rejected', reason: `not approved: ${run.approval.reason ?? 'rejected by a person'}` };
    return { outcome: 'awaiting-approval', reason: `${decision?.reason ?? 'passed the gate'}; waiting for a person to approve the package` };
  }
  const endpoint = run.endpoint;
  if (endpoint?.status === 'InService' && run.deploy?.endpointConfigName && endpoint.endpointConfigName !== run.deploy.endpointConfigName) {
    return {
      outcome: 'rolled-back',
      reason: `the deployment rolled back to ${endpoint.endpointConfigName}${endpoint.failureReason ? `: ${endpoint.failureReason}` : ''}; the champion keeps serving`,
    };
  }
  if (run.promotion) return { outcome: 'deployed', reason: `${decision?.reason ?? 'passed the gate'}; now serving` };
  return { outcome: 'failed', error: 'IncompleteRunError', reason: 'the run reached Finalize without a decision (see the execution history)' };
}

/**
 * Step Functions error causes come in three shapes: a plain message (local), a Lambda error
 * as JSON ({"errorType","errorMessage","trace"}), or a service response as JSON (a failed
 * SageMaker job carries FailureReason). Returns the part a person needs.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as Record<string, unknown>;
    for (const key of ['errorMessage', 'FailureReason', 'failureReason', 'message', 'Message']) {
      if (typeof parsed[key] === 'string') return (parsed[key] as string).trim();
    }
  } catch {
    // not JSON: a plain message
  }
  return cause.trim();
}

function summaryDetail(summary: RunSummary): Record<string, unknown> {
  const { release, triggers, ...rest } = summary;
  return {
    ...rest,
    triggers: triggers.map((t) => ({ type: t.type, reason: t.reason, eventId: t.eventId, time: t.time })),
    coveredTriggers: release.covered,
    cooldownTriggers: release.cooldown,
    ...(release.followUp ? { followUpRunId: release.followUp.runId, followUpTriggers: release.followUp.triggers } : {}),
  };
}

/** The SNS message: a few lines a person reads on a phone. */
export function describe(summary: RunSummary): string {
  const lines = [
    `Run ${summary.runId}: ${summary.outcome}`,
    `Why: ${summary.reason}`,
    `Trigger: ${summary.trigger.type} — ${summary.trigger.reason}${summary.triggerCount > 1 ? ` (+${summary.triggerCount - 1} more)` : ''}`,
  ];
  if (summary.candidateMetric !== undefined) {
    lines.push(
      `${summary.metric}: candidate ${fmt(summary.candidateMetric)}${summary.championMetric !== undefined ? `, champion ${fmt(summary.championMetric)}` : ' (no champion yet)'}`,
    );
  }
  if (summary.rows) lines.push(`Rows: ${Object.entries(summary.rows).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (summary.quarantineKey) lines.push(`Rejected rows: ${summary.quarantineKey}`);
  if (summary.modelPackageArn) lines.push(`Model package: ${summary.modelPackageArn}`);
  if (summary.release.followUp) lines.push(`Follow-up run ${summary.release.followUp.runId} carries ${summary.release.followUp.triggers} trigger(s)`);
  lines.push(`Duration: ${summary.durationSeconds} s`, `Execution: ${summary.executionArn}`);
  return lines.join('\n');
}

function runMetrics(summary: RunSummary): MetricDatum[] {
  const data: MetricDatum[] = [
    { name: 'Runs', value: 1, unit: 'Count', dimensions: { Outcome: summary.outcome, TriggerType: summary.trigger.type } },
    { name: 'Runs', value: 1, unit: 'Count', dimensions: { Outcome: summary.outcome } },
    { name: 'RunDuration', value: summary.durationSeconds, unit: 'Seconds' },
  ];
  if (summary.candidateMetric !== undefined) data.push({ name: 'CandidateMetric', value: summary.candidateMetric, unit: 'None' });
  if (summary.championMetric !== undefined) data.push({ name: 'ChampionMetric', value: summary.championMetric, unit: 'None' });
  for (const [resolution, count] of [
    ['covered', summary.release.covered],
    ['cooldown', summary.release.cooldown],
    ['followed-up', summary.release.followUp?.triggers ?? 0],
  ] as const) {
    if (count > 0) data.push({ name: 'TriggersResolved', value: count, unit: 'Count', dimensions: { Resolution: resolution } });
  }
  return data;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
