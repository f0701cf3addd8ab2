/**
 * `retrain status`: the deployment at a glance — who holds the pipeline (and whether its
 * execution still runs: the next trigger takes over a lock whose execution ended), which
 * triggers wait, the champion, packages waiting for a person, the endpoint, the project's
 * alarms and the last five runs.
 */
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import type { Command } from 'commander';
import { isAwsError, withAwsErrors } from '../../lambdas/adapters/aws-errors';
import type { ExecutionStatus } from '../../lambdas/adapters/ports';
import { createSfnExecutions } from '../../lambdas/adapters/sfn-executions';
import { KEYS, type LockData, type PendingData, type RunRecord } from '../../lambdas/core/admission';
import { APPROVAL_PK, type WaitingApproval } from '../../lambdas/core/approval';
import { CHAMPION_KEY } from '../../lambdas/core/promote';
import type { Champion } from '../../lambdas/core/types';
import { resourceNames } from '../../lib/types';
import { cloudAction, openContext, print, withCloudOptions, type CloudContext, type CloudDeps, type CloudOptions } from './context';
import { NONE, fields, formatMetric, formatTime, oneLine, packageLabel, table } from '../format';
import { runJson, runTable, type RunJson } from './history';

/** Runs `retrain status` shows. */
export const STATUS_RUNS = 5;

/** The object `retrain status --json` prints. */
export interface StatusJson {
  readonly stack: { readonly name: string; readonly project: string; readonly region: string };
  readonly dashboardUrl: string | null;
  readonly lock: LockJson | null;
  readonly pending: PendingJson[];
  readonly champion: ChampionJson | null;
  readonly awaitingApproval: AwaitingApprovalJson[];
  readonly endpoint: EndpointJson | null;
  readonly alarms: AlarmJson[];
  readonly runs: RunJson[];
}

export interface LockJson {
  readonly runId: string;
  readonly executionArn: string;
  readonly acquiredAt: string;
  readonly trigger: { readonly type: string; readonly reason: string };
  /** null while a new-data run waits for a quiet period. */
  readonly snapshotAt: string | null;
  readonly debouncingSince: string | null;
  /** The holder is releasing the lock right now. */
  readonly closing: boolean;
  /** The holder's execution (RUNNING normally; anything else: the next trigger takes the lock over). */
  readonly executionStatus: ExecutionStatus;
}

export interface PendingJson {
  readonly type: string;
  readonly reason: string;
  readonly eventId: string;
  readonly time: string;
  readonly receivedAt: string;
  readonly holderRunId: string;
}

export interface ChampionJson {
  readonly runId: string;
  readonly modelPackageArn: string;
  readonly metric: { readonly name: string; readonly value: number };
  readonly since: string;
  readonly endpointConfigName: string;
}

export interface AwaitingApprovalJson {
  readonly modelPackageArn: string;
  readonly runId: string;
  readonly since: string;
  readonly executionArn: string;
}

export interface EndpointJson {
  readonly name: string;
  readonly status: string;
  readonly endpointConfigName: string | null;
  readonly lastModified: string | null;
  readonly failureReason: string | null;
  /** A blue/green update in progress: the config it moves to. */
  readonly pendingEndpointConfigName: string | null;
  readonly variants: Array<{
    readonly name: string;
    readonly instances: number | null;
    readonly weight: number | null;
    readonly serverless: { readonly memorySizeMb: number | null; readonly maxConcurrency: number | null } | null;
  }>;
  readonly dataCapture: { readonly enabled: boolean; readonly samplingPercent: number | null } | null;
}

export interface AlarmJson {
  readonly name: string;
  /** OK, ALARM, INSUFFICIENT_DATA; null when no such alarm exists. */
  readonly state: string | null;
  readonly since: string | null;
  readonly reason: string | null;
}

export function registerStatusCommand(program: Command, deps: CloudDeps): void {
  const command = program
    .command('status')
    .description('Show the pipeline lock, pending triggers, the champion, the endpoint, alarms and the last runs.');
  withCloudOptions(command, ['table', 'endpoint']).action(
    cloudAction(async (options: CloudOptions) => {
      const context = await openContext(options, ['table', 'endpoint'], deps);
      const { status, runs } = await readStatus(context);
      print(options, status, () => statusText(status, runs, context.resource('endpoint'), context.clock.now()));
    }),
  );
}

/** The status, and the run records behind status.runs (the text shows running durations against now). */
export async function readStatus(context: CloudContext): Promise<{ status: StatusJson; runs: RunRecord[] }> {
  const { state, deployment } = context;
  const [lock, pending, champion, approvals, endpoint, alarms, runs] = await Promise.all([
    state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk),
    state.query<PendingData>(KEYS.pendingPk),
    state.get<Champion>(CHAMPION_KEY.pk, CHAMPION_KEY.sk),
    state.query<WaitingApproval>(APPROVAL_PK),
    describeEndpoint(context, context.resource('endpoint')),
    describeAlarms(context, Object.values(resourceNames(deployment.projectName).alarms)),
    state.query<RunRecord>(KEYS.runPk, { newestFirst: true, limit: STATUS_RUNS }),
  ]);
  const status: StatusJson = {
    stack: { name: deployment.stackName, project: deployment.projectName, region: deployment.region },
    dashboardUrl: deployment.dashboardUrl ?? null,
    lock: lock === undefined ? null : lockJson(lock.data, await createSfnExecutions(context.clients.sfn).status(lock.data.executionArn)),
    pending: pending.map(({ data }) => ({
      type: data.trigger.type,
      reason: data.trigger.reason,
      eventId: data.trigger.eventId,
      time: data.trigger.time,
      receivedAt: data.receivedAt,
      holderRunId: data.holderRunId,
    })),
    champion:
      champion === undefined
        ? null
        : {
            runId: champion.data.runId,
            modelPackageArn: champion.data.modelPackageArn,
            metric: champion.data.metric,
            since: champion.data.since,
            endpointConfigName: champion.data.endpointConfigName,
          },
    awaitingApproval: approvals.map(({ data }) => ({ modelPackageArn: data.modelPackageArn, runId: data.runId, since: data.since, executionArn: data.executionArn })),
    endpoint,
    alarms,
    runs: runs.map((r) => runJson(r.data)),
  };
  return { status, runs: runs.map((r) => r.data) };
}

function lockJson(lock: LockData, executionStatus: ExecutionStatus): LockJson {
  return {
    runId: lock.runId,
    executionArn: lock.executionArn,
    acquiredAt: lock.acquiredAt,
    trigger: { type: lock.trigger.type, reason: lock.trigger.reason },
    snapshotAt: lock.snapshotAt ?? null,
    debouncingSince: lock.snapshotAt === undefined ? (lock.debounce?.startedAt ?? null) : null,
    closing: lock.closing === true,
    executionStatus,
  };
}

async function describeEndpoint(context: CloudContext, name: string): Promise<EndpointJson | null> {
  let out: DescribeEndpointCommandOutput;
  try {
    out = await withAwsErrors({ service: 'SageMaker', operation: 'DescribeEndpoint', context: { endpointName: name } }, () =>
      context.clients.sageMaker.send(new DescribeEndpointCommand({ EndpointName: name })),
    );
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (isAwsError(cause, 'ValidationException', 'Could not find endpoint')) return null;
    throw error;
  }
  const capture = out.DataCaptureConfig;
  return {
    name: out.EndpointName ?? name,
    status: out.EndpointStatus ?? 'Unknown',
    endpointConfigName: out.EndpointConfigName ?? null,
    lastModified: out.LastModifiedTime?.toISOString() ?? null,
    failureReason: out.FailureReason ?? null,
    pendingEndpointConfigName: out.PendingDeploymentSummary?.EndpointConfigName ?? null,
    variants: (out.ProductionVariants ?? []).map((v) => ({
      name: v.VariantName ?? NONE,
      instances: v.CurrentInstanceCount ?? null,
      weight: v.CurrentWeight ?? null,
      serverless:
        v.CurrentServerlessConfig === undefined
          ? null
          : { memorySizeMb: v.CurrentServerlessConfig.MemorySizeInMB ?? null, maxConcurrency: v.CurrentServerlessConfig.MaxConcurrency ?? null },
    })),
    dataCapture: capture === undefined ? null : { enabled: capture.EnableCapture === true, samplingPercent: capture.CurrentSamplingPercentage ?? null },
  };
}

async function describeAlarms(context: CloudContext, names: string[]): Promise<AlarmJson[]> {
  const found = new Map<string, MetricAlarm>();
  let nextToken: string | undefined;
  do {
    const page = await withAwsErrors({ service: 'CloudWatch', operation: 'DescribeAlarms', context: { alarms: names.join(', ') } }, () =>
      context.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'], ...(nextToken ? { NextToken: nextToken } : {}) })),
    );
    for (const alarm of page.MetricAlarms ?? []) if (alarm.AlarmName !== undefined) found.set(alarm.AlarmName, alarm);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return names.map((name) => {
    const alarm = found.get(name);
    return {
      name,
      state: alarm?.StateValue ?? null,
      since: alarm?.StateUpdatedTimestamp?.toISOString() ?? null,
      reason: alarm?.StateReason ?? null,
    };
  });
}

// ------------------------------------------------------------------ text

function section(title: string, body: string): string {
  return `${title}\n${body
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n')}`;
}

export function statusText(status: StatusJson, runs: readonly RunRecord[], endpointName: string, now: Date): string {
  const parts = [
    fields([
      ['Stack', `${status.stack.name} (${status.stack.region})`],
      ...(status.dashboardUrl ? [['Dashboard', status.dashboardUrl] as const] : []),
    ]),
    section('Pipeline lock', lockText(status.lock)),
    section(`Pending triggers (${status.pending.length})`, pendingText(status.pending)),
    section('Champion', championText(status.champion)),
    section(`Awaiting approval (${status.awaitingApproval.length})`, approvalText(status.awaitingApproval)),
    section(`Endpoint ${status.endpoint?.name ?? endpointName}`, endpointText(status.endpoint)),
    section('Alarms', alarmText(status.alarms)),
    section(`Last runs`, runs.length === 0 ? 'none yet' : runTable(runs, now)),
  ];
  return parts.join('\n\n');
}

function lockText(lock: LockJson | null): string {
  if (lock === null) return 'free: no run holds the pipeline';
  const snapshot =
    lock.snapshotAt !== null
      ? `taken ${formatTime(lock.snapshotAt)}`
      : `not yet: waiting for a quiet period in new data since ${formatTime(lock.debouncingSince ?? undefined)}`;
  return fields([
    ['run', `${lock.runId}${lock.closing ? ' (releasing)' : ''}`],
    ['since', formatTime(lock.acquiredAt)],
    ['trigger', `${lock.trigger.type}: ${oneLine(lock.trigger.reason, 120)}`],
    ['snapshot', snapshot],
    ['execution', lock.executionStatus === 'RUNNING' ? lock.executionArn : `${lock.executionArn} (${stale(lock.executionStatus)})`],
  ]);
}

function stale(status: ExecutionStatus): string {
  const ended = status === 'NOT_FOUND' ? 'does not exist' : `is ${status.toLowerCase().replace('_', ' ')}`;
  return `the execution ${ended}; the next trigger takes the lock over`;
}

function pendingText(pending: readonly PendingJson[]): string {
  if (pending.length === 0) return 'none';
  return table(
    ['received', 'type', 'reason', 'behind run'],
    pending.map((p) => [formatTime(p.receivedAt), p.type, oneLine(p.reason, 80), p.holderRunId]),
  );
}

function championText(champion: ChampionJson | null): string {
  if (champion === null) return 'none yet: no run has deployed a model';
  return fields([
    ['package', `${packageLabel(champion.modelPackageArn)} (${champion.modelPackageArn})`],
    ['metric', `${champion.metric.name} ${formatMetric(champion.metric.value)}`],
    ['since', formatTime(champion.since)],
    ['run', champion.runId],
  ]);
}

function approvalText(approvals: readonly AwaitingApprovalJson[]): string {
  if (approvals.length === 0) return 'none';
  return table(
    ['package', 'run', 'waiting since'],
    approvals.map((a) => [packageLabel(a.modelPackageArn), a.runId, formatTime(a.since)]),
  );
}

function endpointText(endpoint: EndpointJson | null): string {
  if (endpoint === null) return 'not created yet: the first deployed run creates it';
  const variants = endpoint.variants.map((v) => {
    if (v.serverless !== null) return `${v.name}: serverless, ${v.serverless.memorySizeMb ?? '?'} MB, max concurrency ${v.serverless.maxConcurrency ?? '?'}`;
    return `${v.name}: ${v.instances ?? '?'} instance${v.instances === 1 ? '' : 's'}, weight ${v.weight ?? '?'}`;
  });
  const capture = endpoint.dataCapture;
  return fields([
    ['status', endpoint.status],
    ['config', endpoint.endpointConfigName ?? NONE],
    ...(endpoint.pendingEndpointConfigName ? [['deploying', endpoint.pendingEndpointConfigName] as const] : []),
    ['updated', formatTime(endpoint.lastModified ?? undefined)],
    ['variants', variants.length === 0 ? NONE : variants.join('; ')],
    ['capture', capture === null ? 'off' : capture.enabled ? `on, ${capture.samplingPercent ?? '?'}% of requests` : 'off'],
    ...(endpoint.failureReason ? [['failure', oneLine(endpoint.failureReason)] as const] : []),
  ]);
}

function alarmText(alarms: readonly AlarmJson[]): string {
  return table(
    ['alarm', 'state', 'since'],
    alarms.map((a) => [a.name, a.state ?? 'missing (not deployed)', formatTime(a.since ?? undefined)]),
  );
}
