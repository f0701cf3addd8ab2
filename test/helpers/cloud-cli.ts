/**
 * Runs the cloud commands through commander against aws-sdk-client-mock clients: a deployed
 * stack's outputs, a state table served from memory, and helpers for execution histories.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { registerCloudCommands } from '../../cli/cloud';
import type { ClientOptions, CloudDeps } from '../../cli/cloud/context';
import type { RunRecord } from '../../lambdas/core/admission';
import type { Trigger } from '../../lambdas/core/types';
import { FakeClock } from './fake-clock';
import { sentCommandProblems } from './api-model';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const STACK = 'retrain';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:retrain-pipeline`;
export const TABLE = 'retrain-state';
export const ENDPOINT = 'retrain';
export const GROUP = 'retrain';
export const GROUP_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package-group/${GROUP}`;
export const DASHBOARD = `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards:name=retrain`;
export const NOW = '2026-11-27T12:00:00.000Z';

export const packageArn = (version: number, group = GROUP) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${group}/${version}`;
export const executionArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:retrain-pipeline:${name}`;

export const mocks = {
  cloudFormation: mockClient(CloudFormationClient),
  sfn: mockClient(SFNClient),
  dynamoDb: mockClient(DynamoDBClient),
  sageMaker: mockClient(SageMakerClient),
  cloudWatch: mockClient(CloudWatchClient),
};

// Every command a CLI test sends must be one the service's API model accepts.
afterEach(() => {
  for (const mock of Object.values(mocks)) expect(sentCommandProblems(mock)).toEqual([]);
});

export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
}

/** DescribeStacks answers with the stack of a deployed project. */
export function mockStack(outputs: Record<string, string> = STACK_OUTPUTS, tags: Record<string, string> = { 'retrain:project': STACK }): void {
  mocks.cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      },
    ],
  });
}

export const STACK_OUTPUTS = {
  DataBucketName: 'retrain-data-123456789012',
  NotificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:retrain`,
  StateTableName: TABLE,
  StateMachineArn: STATE_MACHINE_ARN,
  EndpointName: ENDPOINT,
  ModelPackageGroupName: GROUP,
  DashboardUrl: DASHBOARD,
  DeadLetterQueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/retrain-dlq`,
};

/** State table items, served to GetItem and Query (sort-key order, Limit, ScanIndexForward). */
export function mockTable(items: ReadonlyArray<{ pk: string; sk: string; data: unknown; version?: number }>): void {
  const stored = items.map((i) => marshall({ pk: i.pk, sk: i.sk, version: i.version ?? 1, data: i.data }, { removeUndefinedValues: true }));
  const key = (item: Record<string, AttributeValue>) => unmarshall(item) as { pk: string; sk: string };
  mocks.dynamoDb.on(GetItemCommand).callsFake((input: { Key: Record<string, AttributeValue> }) => {
    const wanted = key(input.Key);
    const item = stored.find((i) => key(i).pk === wanted.pk && key(i).sk === wanted.sk);
    return item === undefined ? {} : { Item: item };
  });
  mocks.dynamoDb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, AttributeValue>; ScanIndexForward?: boolean; Limit?: number }) => {
    const pk = input.ExpressionAttributeValues[':pk'].S;
    const matching = stored.filter((i) => key(i).pk === pk).sort((a, b) => key(a).sk.localeCompare(key(b).sk));
    if (input.ScanIndexForward === false) matching.reverse();
    return { Items: input.Limit === undefined ? matching : matching.slice(0, input.Limit) };
  });
}

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** What the commands asked the clients factory for. */
  readonly clientOptions: ClientOptions[];
  /** Milliseconds of every sleep (which returns at once). */
  readonly sleeps: number[];
}

/** Runs `retrain <args>` with the cloud commands registered; returns what it printed and the exit code. */
export async function cli(args: string[], deps: Partial<CloudDeps> = {}): Promise<CliResult> {
  const clientOptions: ClientOptions[] = [];
  const sleeps: number[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('retrain').exitOverride().configureOutput({ writeOut: (s) => void out.push(s.trimEnd()), writeErr: (s) => void err.push(s.trimEnd()) });
  registerCloudCommands(program, {
    clients: (options) => {
      clientOptions.push(options);
      const config = { region: options.region ?? REGION };
      return {
        cloudFormation: new CloudFormationClient(config),
        sfn: new SFNClient(config),
        dynamoDb: new DynamoDBClient(config),
        sageMaker: new SageMakerClient(config),
        cloudWatch: new CloudWatchClient(config),
      };
    },
    sleep: async (ms) => void sleeps.push(ms),
    clock: new FakeClock(NOW),
    cwd: '/nonexistent-retrain-test-dir',
    ...deps,
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  process.exitCode = undefined;
  try {
    try {
      await program.parseAsync(args, { from: 'user' });
    } catch (e) {
      if (!(e instanceof Error && e.name === 'CommanderError')) throw e;
      process.exitCode = (e as Error & { exitCode: number }).exitCode;
    }
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode: Number(process.exitCode ?? 0), clientOptions, sleeps };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = undefined;
  }
}

/** An AWS service error as the SDK throws it. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** Builds an execution history: ids in order, each event following the previous one, a second apart. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private time = Date.parse('2026-11-27T12:00:00.000Z');

  add(type: string, details: Partial<HistoryEvent> = {}, seconds = 1): this {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, type: type as HistoryEvent['type'], timestamp: new Date(this.time), ...details });
    this.time += seconds * 1000;
    return this;
  }

  started(input: unknown = {}): this {
    return this.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input), roleArn: 'arn:aws:iam::123456789012:role/r' } });
  }

  entered(stateType: string, name: string, input: unknown = {}, seconds = 1): this {
    return this.add(`${stateType}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(input) } }, seconds);
  }

  exited(stateType: string, name: string, output: unknown = {}, seconds = 1): this {
    return this.add(`${stateType}StateExited`, { stateExitedEventDetails: { name, output: JSON.stringify(output) } }, seconds);
  }

  /** A Lambda task state: entered, scheduled, started, succeeded, exited with `output`. */
  task(name: string, output: unknown, seconds = 1): this {
    return this.entered('Task', name)
      .add('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION, parameters: '{}' } })
      .add('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } })
      .add('TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify(output) } }, seconds)
      .exited('Task', name, output);
  }

  /** A task that fails with a Lambda error (JSON cause). */
  failedTask(name: string, error: string, message: string): this {
    return this.entered('Task', name)
      .add('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION, parameters: '{}' } })
      .add('TaskFailed', {
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause: JSON.stringify({ errorType: error, errorMessage: message, trace: ['at x'] }) },
      });
  }

  choice(name: string): this {
    return this.entered('Choice', name).exited('Choice', name);
  }

  succeeded(output: unknown): this {
    return this.add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(output) } });
  }

  failed(error: string, cause: string): this {
    return this.add('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  }

  /** The first n events (what a poll sees while the execution is at that point). */
  upTo(n: number): HistoryEvent[] {
    return this.events.slice(0, n);
  }
}

// ------------------------------------------------------------------ state fixtures

const trigger = (type: Trigger['type'], reason: string, time: string, eventId = `evt-${time}`): Trigger => ({ type, reason, detail: {}, eventId, time });

/** Four runs: one going (started 5 minutes before NOW), deployed, rejected, failed (a follow-up answering three triggers). */
export const RUNS: RunRecord[] = [
  {
    runId: '20261127-115500-dddddd',
    executionArn: executionArn('cli-run-20261127-115500-d1d1d1'),
    trigger: trigger('manual', 'retrain after the schema fix', '2026-11-27T11:55:00.000Z'),
    triggers: [trigger('manual', 'retrain after the schema fix', '2026-11-27T11:55:00.000Z')],
    options: { dryRun: false, force: false },
    status: 'running',
    startedAt: '2026-11-27T11:55:00.000Z',
  },
  {
    runId: '20261127-110000-aaaaaa',
    executionArn: executionArn('drift-1'),
    trigger: trigger('drift', 'alarm retrain-drift went into ALARM', '2026-11-27T11:00:00.000Z'),
    triggers: [trigger('drift', 'alarm retrain-drift went into ALARM', '2026-11-27T11:00:00.000Z')],
    options: { dryRun: false, force: false },
    status: 'deployed',
    startedAt: '2026-11-27T11:00:00.000Z',
    endedAt: '2026-11-27T11:42:30.000Z',
    metric: 'auc',
    candidateMetric: 0.91234,
    championMetric: 0.90011,
    modelPackageArn: packageArn(8),
    cause: 'auc 0.9123 beats the champion\'s 0.9001 by 0.0122 (needed 0.005); now serving',
  },
  {
    runId: '20261126-090000-bbbbbb',
    executionArn: executionArn('schedule-1'),
    trigger: trigger('schedule', 'scheduled run (rate(1 day))', '2026-11-26T09:00:00.000Z'),
    triggers: [trigger('schedule', 'scheduled run (rate(1 day))', '2026-11-26T09:00:00.000Z')],
    options: { dryRun: false, force: false },
    status: 'rejected',
    startedAt: '2026-11-26T09:00:00.000Z',
    endedAt: '2026-11-26T09:31:05.000Z',
    metric: 'auc',
    candidateMetric: 0.895,
    championMetric: 0.90011,
    cause: 'auc 0.8950 does not beat the champion\'s 0.9001',
  },
  {
    runId: '20261125-080000-cccccc',
    executionArn: executionArn('follow-up-1'),
    trigger: trigger('new-data', '3 new objects under raw/', '2026-11-25T07:58:00.000Z'),
    triggers: [
      trigger('new-data', '3 new objects under raw/', '2026-11-25T07:58:00.000Z', 'e1'),
      trigger('new-data', '1 new object under raw/', '2026-11-25T07:59:00.000Z', 'e2'),
      trigger('degradation', 'alarm retrain-model-quality went into ALARM', '2026-11-25T07:59:30.000Z', 'e3'),
    ],
    options: { dryRun: false, force: false },
    status: 'failed',
    startedAt: '2026-11-25T08:00:00.000Z',
    endedAt: '2026-11-25T08:04:10.000Z',
    cause: 'Prepare data failed: 12% of rows were quarantined (at most 1% allowed)',
  },
];

export const runItems = (runs: readonly RunRecord[] = RUNS) => runs.map((data) => ({ pk: 'RUN', sk: data.runId, data }));

// ------------------------------------------------------------------ model registry

/** DescribeModelPackage of a package registered by retrain. */
export function packageDescription(version: number, status: 'Approved' | 'Rejected' | 'PendingManualApproval', group = GROUP) {
  return {
    ModelPackageArn: packageArn(version, group),
    ModelPackageGroupName: group,
    ModelPackageVersion: version,
    ModelApprovalStatus: status,
    ModelPackageName: group,
    ModelPackageStatus: 'Completed' as const,
    CreationTime: new Date(Date.parse('2026-11-01T00:00:00Z') + version * 86_400_000),
    InferenceSpecification: {
      Containers: [{ Image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: `s3://retrain-data/runs/r${version}/model/model.tar.gz` }],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['text/csv'],
    },
    CustomerMetadataProperties: { runId: `run-${version}`, metric: 'auc', candidate: `0.9${version}`, baseline: `s3://retrain-data/runs/r${version}/baseline.json` },
  };
}

/** The registry holds these packages; DescribeModelPackage answers by ARN, ValidationException otherwise. */
export function mockRegistry(packages: ReadonlyArray<ReturnType<typeof packageDescription>>): void {
  mocks.sageMaker.on(DescribeModelPackageGroupCommand).callsFake((input: { ModelPackageGroupName: string }) => {
    if (input.ModelPackageGroupName !== GROUP) throw awsError('ValidationException', `ModelPackageGroup ${input.ModelPackageGroupName} does not exist.`);
    return { ModelPackageGroupArn: GROUP_ARN, ModelPackageGroupName: GROUP, CreationTime: new Date(), ModelPackageGroupStatus: 'Completed', CreatedBy: {} };
  });
  mocks.sageMaker.on(DescribeModelPackageCommand).callsFake((input: { ModelPackageName: string }) => {
    const found = packages.find((p) => p.ModelPackageArn === input.ModelPackageName);
    if (found === undefined) throw awsError('ValidationException', `ModelPackage ${input.ModelPackageName} does not exist.`);
    return found;
  });
  mocks.sageMaker.on(ListModelPackagesCommand).callsFake((input: { ModelApprovalStatus?: string }) => ({
    ModelPackageSummaryList: [...packages]
      .filter((p) => input.ModelApprovalStatus === undefined || p.ModelApprovalStatus === input.ModelApprovalStatus)
      .sort((a, b) => b.CreationTime.getTime() - a.CreationTime.getTime())
      .map((p) => ({
        ModelPackageArn: p.ModelPackageArn,
        ModelPackageGroupName: p.ModelPackageGroupName,
        ModelPackageVersion: p.ModelPackageVersion,
        ModelApprovalStatus: p.ModelApprovalStatus,
        CreationTime: p.CreationTime,
        ModelPackageStatus: p.ModelPackageStatus,
      })),
  }));
  mocks.sageMaker.on(UpdateModelPackageCommand).callsFake((input: { ModelPackageArn: string }) => ({ ModelPackageArn: input.ModelPackageArn }));
}
