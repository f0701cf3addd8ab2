import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { StatusJson } from '../../../../cli/cloud/status';
import type { LockData, PendingData } from '../../../../lambdas/core/admission';
import type { WaitingApproval } from '../../../../lambdas/core/approval';
import type { Champion } from '../../../../lambdas/core/types';
import { DASHBOARD, ENDPOINT, RUNS, TABLE, awsError, cli, executionArn, mockStack, mockTable, mocks, packageArn, resetMocks, runItems } from '../../../helpers/cloud-cli';

const LOCK: LockData = {
  runId: RUNS[0].runId,
  executionArn: RUNS[0].executionArn,
  acquiredAt: '2026-11-27T11:55:00.000Z',
  trigger: RUNS[0].trigger,
  snapshotAt: '2026-11-27T11:55:00.000Z',
};

const PENDING: PendingData = {
  trigger: { type: 'new-data', reason: '1 new object under raw/ (raw/2026-11-27/part-7.csv)', detail: {}, eventId: 'e-7', time: '2026-11-27T11:57:00.000Z' },
  receivedAt: '2026-11-27T11:57:01.000Z',
  executionArn: executionArn('e-7'),
  holderRunId: RUNS[0].runId,
};

const CHAMPION: Champion = {
  runId: '20261127-110000-aaaaaa',
  modelPackageArn: packageArn(8),
  modelName: 'retrain-20261127-110000-aaaaaa',
  endpointConfigName: 'retrain-20261127-110000-aaaaaa',
  metric: { name: 'auc', value: 0.91234 },
  baselineUri: 's3://retrain-data/runs/20261127-110000-aaaaaa/baseline.json',
  schemaUri: 's3://retrain-data/runs/20261127-110000-aaaaaa/schema.json',
  since: '2026-11-27T11:42:20.000Z',
};

const WAITING: WaitingApproval = {
  taskToken: 'token',
  runId: '20261126-150000-ffffff',
  modelPackageArn: packageArn(7),
  executionArn: executionArn('x'),
  since: '2026-11-26T15:20:00.000Z',
};

const ALARM_NAMES = ['retrain-endpoint-5xx', 'retrain-endpoint-latency', 'retrain-drift', 'retrain-model-quality', 'retrain-trigger-dlq'];

function mockEndpoint(): void {
  mocks.sageMaker.on(DescribeEndpointCommand).resolves({
    EndpointName: ENDPOINT,
    EndpointArn: `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/${ENDPOINT}`,
    EndpointConfigName: 'retrain-20261127-110000-aaaaaa',
    EndpointStatus: 'InService',
    CreationTime: new Date('2026-11-01T00:00:00Z'),
    LastModifiedTime: new Date('2026-11-27T11:41:00Z'),
    ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 2, CurrentWeight: 1 }],
    DataCaptureConfig: { EnableCapture: true, CaptureStatus: 'Started', CurrentSamplingPercentage: 100, DestinationS3Uri: 's3://retrain-data/capture/', KmsKeyId: 'key' },
  });
}

function mockAlarms(): void {
  mocks.cloudWatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'retrain-endpoint-5xx', StateValue: 'OK', StateUpdatedTimestamp: new Date('2026-11-27T11:45:00Z'), StateReason: 'fine' },
      { AlarmName: 'retrain-endpoint-latency', StateValue: 'OK', StateUpdatedTimestamp: new Date('2026-11-27T11:45:00Z'), StateReason: 'fine' },
      { AlarmName: 'retrain-drift', StateValue: 'ALARM', StateUpdatedTimestamp: new Date('2026-11-27T10:59:30Z'), StateReason: 'Threshold Crossed' },
      { AlarmName: 'retrain-model-quality', StateValue: 'INSUFFICIENT_DATA', StateUpdatedTimestamp: new Date('2026-11-20T00:00:00Z'), StateReason: 'no data' },
    ],
  });
}

beforeEach(() => {
  resetMocks();
  mockStack();
  mockEndpoint();
  mockAlarms();
  mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
});

describe('retrain status', () => {
  it('shows the lock, pending triggers, champion, approvals, endpoint, alarms and the last five runs', async () => {
    mockTable([
      { pk: 'LOCK', sk: 'PIPELINE', data: LOCK },
      { pk: 'PENDING', sk: `${PENDING.receivedAt}#e-7`, data: PENDING },
      { pk: 'CHAMPION', sk: 'CURRENT', data: CHAMPION },
      { pk: 'APPROVAL', sk: WAITING.modelPackageArn, data: WAITING },
      ...runItems(),
    ]);

    const { stdout, stderr, exitCode } = await cli(['status']);

    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        'Stack      retrain (eu-west-1)',
        `Dashboard  ${DASHBOARD}`,
        '',
        'Pipeline lock',
        '  run        20261127-115500-dddddd',
        '  since      2026-11-27 11:55:00 UTC',
        '  trigger    manual: retrain after the schema fix',
        '  snapshot   taken 2026-11-27 11:55:00 UTC',
        `  execution  ${RUNS[0].executionArn}`,
        '',
        'Pending triggers (1)',
        '  received                 type      reason                                               behind run',
        '  2026-11-27 11:57:01 UTC  new-data  1 new object under raw/ (raw/2026-11-27/part-7.csv)  20261127-115500-dddddd',
        '',
        'Champion',
        `  package  retrain/8 (${packageArn(8)})`,
        '  metric   auc 0.9123',
        '  since    2026-11-27 11:42:20 UTC',
        '  run      20261127-110000-aaaaaa',
        '',
        'Awaiting approval (1)',
        '  package    run                     waiting since',
        '  retrain/7  20261126-150000-ffffff  2026-11-26 15:20:00 UTC',
        '',
        'Endpoint retrain',
        '  status    InService',
        '  config    retrain-20261127-110000-aaaaaa',
        '  updated   2026-11-27 11:41:00 UTC',
        '  variants  primary: 2 instances, weight 1',
        '  capture   on, 100% of requests',
        '',
        'Alarms',
        '  alarm                     state                   since',
        '  retrain-endpoint-5xx      OK                      2026-11-27 11:45:00 UTC',
        '  retrain-endpoint-latency  OK                      2026-11-27 11:45:00 UTC',
        '  retrain-drift             ALARM                   2026-11-27 10:59:30 UTC',
        '  retrain-model-quality     INSUFFICIENT_DATA       2026-11-20 00:00:00 UTC',
        '  retrain-trigger-dlq       missing (not deployed)  -',
        '',
        'Last runs',
        '  run                     trigger      outcome   started                  duration  metric  candidate  champion  package',
        '  20261127-115500-dddddd  manual       running   2026-11-27 11:55:00 UTC    5m 00s  -               -         -  -',
        '  20261127-110000-aaaaaa  drift        deployed  2026-11-27 11:00:00 UTC   42m 30s  auc        0.9123    0.9001  retrain/8',
        '  20261126-090000-bbbbbb  schedule     rejected  2026-11-26 09:00:00 UTC   31m 05s  auc        0.8950    0.9001  -',
        '  20261125-080000-cccccc  new-data +2  failed    2026-11-25 08:00:00 UTC    4m 10s  -               -         -  -',
      ].join('\n'),
    );
  });

  it('reads the state items, the endpoint and the project alarms it shows', async () => {
    mockTable(runItems());

    await cli(['status']);

    expect(mocks.dynamoDb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { pk: { S: 'LOCK' }, sk: { S: 'PIPELINE' } } });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { pk: { S: 'CHAMPION' }, sk: { S: 'CURRENT' } } });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: expect.objectContaining({ ':pk': { S: 'PENDING' } }) });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: expect.objectContaining({ ':pk': { S: 'APPROVAL' } }) });
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':pk': { S: 'RUN' } }),
      ScanIndexForward: false,
      Limit: 5,
    });
    expect(mocks.sageMaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: ENDPOINT });
    expect(mocks.cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ALARM_NAMES });
  });

  it('names the alarms after the project tag of the stack', async () => {
    mockStack(undefined, { 'retrain:project': 'churn' });
    mockTable([]);

    await cli(['status']);

    expect(mocks.cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: expect.arrayContaining(['churn-drift', 'churn-trigger-dlq']) });
  });

  it('shows a fresh deployment: free lock, nothing pending, no champion, no endpoint, no runs', async () => {
    mockTable([]);
    mocks.sageMaker.on(DescribeEndpointCommand).rejects(awsError('ValidationException', 'Could not find endpoint "retrain".'));

    const { stdout, exitCode } = await cli(['status']);

    expect(exitCode).toBe(0);
    const sections = stdout.split('\n\n');
    expect(sections.slice(1, 6)).toEqual([
      'Pipeline lock\n  free: no run holds the pipeline',
      'Pending triggers (0)\n  none',
      'Champion\n  none yet: no run has deployed a model',
      'Awaiting approval (0)\n  none',
      'Endpoint retrain\n  not created yet: the first deployed run creates it',
    ]);
    expect(sections[7]).toBe('Last runs\n  none yet');
  });

  it('shows a new-data run waiting for quiet, and a blue/green update in progress', async () => {
    mockTable([{ pk: 'LOCK', sk: 'PIPELINE', data: { ...LOCK, snapshotAt: undefined, debounce: { startedAt: '2026-11-27T11:58:00.000Z' } } }]);
    mocks.sageMaker.on(DescribeEndpointCommand).resolves({
      EndpointName: ENDPOINT,
      EndpointArn: 'arn',
      EndpointConfigName: 'retrain-old',
      EndpointStatus: 'Updating',
      CreationTime: new Date('2026-11-01T00:00:00Z'),
      LastModifiedTime: new Date('2026-11-27T11:59:00Z'),
      PendingDeploymentSummary: { EndpointConfigName: 'retrain-new' },
      ProductionVariants: [{ VariantName: 'primary', CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }],
    });

    const { stdout } = await cli(['status']);

    expect(stdout).toContain('  snapshot   not yet: waiting for a quiet period in new data since 2026-11-27 11:58:00 UTC');
    expect(stdout).toContain(
      [
        'Endpoint retrain',
        '  status     Updating',
        '  config     retrain-old',
        '  deploying  retrain-new',
        '  updated    2026-11-27 11:59:00 UTC',
        '  variants   primary: serverless, 2048 MB, max concurrency 5',
        '  capture    off',
      ].join('\n'),
    );
  });

  it('flags a lock whose execution is no longer running', async () => {
    mockTable([{ pk: 'LOCK', sk: 'PIPELINE', data: LOCK }]);
    mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });

    const { stdout } = await cli(['status']);

    expect(mocks.sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: LOCK.executionArn });
    expect(stdout).toContain(`  execution  ${LOCK.executionArn} (the execution is aborted; the next trigger takes the lock over)`);
  });

  it('uses --table and --endpoint without describing the stack', async () => {
    mockTable([]);

    const { exitCode, stdout } = await cli(['status', '--table', 't', '--endpoint', 'e', '--stack', 'churn']);

    expect(exitCode).toBe(0);
    expect(mocks.cloudFormation.calls()).toHaveLength(0);
    expect(mocks.sageMaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'e' });
    expect(mocks.cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: expect.arrayContaining(['churn-drift']) });
    expect(stdout.split('\n')[0]).toBe('Stack  churn (eu-west-1)');
  });
});

describe('retrain status --json', () => {
  it('prints one object with every section', async () => {
    mockTable([
      { pk: 'LOCK', sk: 'PIPELINE', data: LOCK },
      { pk: 'PENDING', sk: `${PENDING.receivedAt}#e-7`, data: PENDING },
      { pk: 'CHAMPION', sk: 'CURRENT', data: CHAMPION },
      ...runItems(RUNS.slice(1, 2)),
    ]);

    const { stdout } = await cli(['status', '--json']);

    const json = JSON.parse(stdout) as StatusJson;
    expect(json).toEqual({
      stack: { name: 'retrain', project: 'retrain', region: 'eu-west-1' },
      dashboardUrl: DASHBOARD,
      lock: {
        runId: LOCK.runId,
        executionArn: LOCK.executionArn,
        acquiredAt: LOCK.acquiredAt,
        trigger: { type: 'manual', reason: 'retrain after the schema fix' },
        snapshotAt: LOCK.snapshotAt,
        debouncingSince: null,
        closing: false,
        executionStatus: 'RUNNING',
      },
      pending: [{ type: 'new-data', reason: PENDING.trigger.reason, eventId: 'e-7', time: PENDING.trigger.time, receivedAt: PENDING.receivedAt, holderRunId: LOCK.runId }],
      champion: { runId: CHAMPION.runId, modelPackageArn: packageArn(8), metric: { name: 'auc', value: 0.91234 }, since: CHAMPION.since, endpointConfigName: CHAMPION.endpointConfigName },
      awaitingApproval: [],
      endpoint: {
        name: ENDPOINT,
        status: 'InService',
        endpointConfigName: 'retrain-20261127-110000-aaaaaa',
        lastModified: '2026-11-27T11:41:00.000Z',
        failureReason: null,
        pendingEndpointConfigName: null,
        variants: [{ name: 'primary', instances: 2, weight: 1, serverless: null }],
        dataCapture: { enabled: true, samplingPercent: 100 },
      },
      alarms: expect.arrayContaining([
        { name: 'retrain-drift', state: 'ALARM', since: '2026-11-27T10:59:30.000Z', reason: 'Threshold Crossed' },
        { name: 'retrain-trigger-dlq', state: null, since: null, reason: null },
      ]),
      runs: [expect.objectContaining({ runId: RUNS[1].runId, outcome: 'deployed', durationSeconds: 2550 })],
    });
  });
});
