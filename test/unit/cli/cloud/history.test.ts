import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { RunJson } from '../../../../cli/cloud/history';
import { RUNS, TABLE, cli, mockStack, mockTable, mocks, resetMocks, runItems } from '../../../helpers/cloud-cli';

beforeEach(() => {
  resetMocks();
  mockStack();
});

describe('retrain history: table', () => {
  it('lists runs newest first with trigger, outcome, metrics, duration and package', async () => {
    mockTable(runItems());

    const { stdout, stderr, exitCode } = await cli(['history']);

    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        'run                     trigger      outcome   started                  duration  metric  candidate  champion  package',
        '20261127-115500-dddddd  manual       running   2026-11-27 11:55:00 UTC    5m 00s  -               -         -  -',
        '20261127-110000-aaaaaa  drift        deployed  2026-11-27 11:00:00 UTC   42m 30s  auc        0.9123    0.9001  retrain/8',
        '20261126-090000-bbbbbb  schedule     rejected  2026-11-26 09:00:00 UTC   31m 05s  auc        0.8950    0.9001  -',
        '20261125-080000-cccccc  new-data +2  failed    2026-11-25 08:00:00 UTC    4m 10s  -               -         -  -',
      ].join('\n'),
    );
  });

  it('queries the RUN partition newest first with the limit when nothing is filtered', async () => {
    mockTable(runItems());

    const { stdout } = await cli(['history', '--limit', '2']);

    expect(stdout.split('\n')).toHaveLength(3);
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      ExpressionAttributeValues: expect.objectContaining({ ':pk': { S: 'RUN' } }),
      ScanIndexForward: false,
      Limit: 2,
    });
  });

  it('keeps runs answering the given trigger type, including follow-ups that carry it', async () => {
    mockTable(runItems());

    const { stdout } = await cli(['history', '--trigger', 'degradation']);

    expect(stdout.split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual(['20261125-080000-cccccc']);
  });

  it('keeps runs with the given outcome, then applies the limit', async () => {
    mockTable(runItems([...RUNS, { ...RUNS[1], runId: '20261120-100000-eeeeee' }]));

    const { stdout } = await cli(['history', '--outcome', 'deployed', '--limit', '1']);

    expect(stdout.split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual(['20261127-110000-aaaaaa']);
  });

  it('says so when no run matches the filters', async () => {
    mockTable(runItems());

    const { stdout } = await cli(['history', '--outcome', 'rolled-back']);

    expect(stdout).toBe('No runs match the filters.');
  });

  it('says so when there are no runs yet', async () => {
    mockTable([]);

    const { stdout } = await cli(['history']);

    expect(stdout).toBe('No runs yet.');
  });

  it('reads the table named by --table without describing the stack', async () => {
    mockTable(runItems());

    const { exitCode } = await cli(['history', '--table', 'other-table']);

    expect(exitCode).toBe(0);
    expect(mocks.cloudFormation.calls()).toHaveLength(0);
    expect(mocks.dynamoDb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'other-table' });
  });
});

describe('retrain history: options', () => {
  it.each([
    [['--trigger', 'cron'], /--trigger <type>' argument 'cron' is invalid. expected one of manual, schedule, new-data, degradation, drift/],
    [['--outcome', 'ok'], /expected one of running, deployed, rejected, dry-run, awaiting-approval, rolled-back, failed/],
    [['--limit', '0'], /expected a positive integer, got "0"/],
  ])('refuses %j before calling AWS', async (args, message) => {
    const { stderr, exitCode } = await cli(['history', ...args]);

    expect(exitCode).toBe(1);
    expect(stderr).toMatch(message);
    expect(mocks.cloudFormation.calls()).toHaveLength(0);
  });
});

describe('retrain history --json', () => {
  it('prints one object with every run, durations in seconds and null for what is unknown', async () => {
    mockTable(runItems());

    const { stdout } = await cli(['history', '--json', '--limit', '2']);

    const json = JSON.parse(stdout) as { runs: RunJson[] };
    expect(json.runs).toEqual([
      expect.objectContaining({ runId: '20261127-115500-dddddd', outcome: 'running', durationSeconds: null, endedAt: null, metric: null }),
      {
        runId: '20261127-110000-aaaaaa',
        trigger: 'drift',
        triggers: 1,
        reason: 'alarm retrain-drift went into ALARM',
        outcome: 'deployed',
        dryRun: false,
        rollbackTo: null,
        startedAt: '2026-11-27T11:00:00.000Z',
        endedAt: '2026-11-27T11:42:30.000Z',
        durationSeconds: 2550,
        metric: 'auc',
        candidateMetric: 0.91234,
        championMetric: 0.90011,
        modelPackageArn: RUNS[1].modelPackageArn,
        cause: RUNS[1].cause,
        executionArn: RUNS[1].executionArn,
      },
    ]);
  });
});
