import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { consoleUrl, type StartedJson } from '../../../../cli/cloud/run';
import { HistoryBuilder, STATE_MACHINE_ARN, awsError, cli, executionArn, mockStack, mocks, packageArn, resetMocks } from '../../../helpers/cloud-cli';

const NAME = 'cli-run-20261127-120000-abcdef';
const EXECUTION = executionArn(NAME);
const CONSOLE = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION}`;
const RUN_ID = '20261127-120001-3fa1c9';

const admitted = (outcome = 'started', reason = `run ${RUN_ID} holds the pipeline`, runId: string | undefined = RUN_ID) => ({
  ...(runId ? { runId } : {}),
  trigger: { type: 'manual', reason: 'started by a person (console or CLI)', detail: {}, eventId: NAME, time: '2026-11-27T12:00:00.000Z' },
  options: { dryRun: false, force: false },
  admission: { outcome, reason, debounceSeconds: 0, ...(outcome === 'queued' ? { holderRunId: '20261127-110000-aaaaaa' } : {}) },
});

const summary = (outcome: string, reason: string, extra: Record<string, unknown> = {}) => ({
  runId: RUN_ID,
  outcome,
  reason,
  trigger: admitted().trigger,
  triggers: [admitted().trigger],
  dryRun: false,
  startedAt: '2026-11-27T12:00:00.000Z',
  endedAt: '2026-11-27T12:12:09.000Z',
  durationSeconds: 729,
  executionArn: EXECUTION,
  release: { covered: [], cooldown: [] },
  ...extra,
});

/** A run that trains, passes the gate and deploys. */
function deployedRun(): HistoryBuilder {
  const decision = { passed: true, metric: 'auc', candidate: 0.9123, champion: 0.9001, reason: "auc 0.9123 beats the champion's 0.9001 by 0.0122 (needed 0.005)" };
  const done = summary('deployed', `${decision.reason}; now serving`, { metric: 'auc', candidateMetric: 0.9123, championMetric: 0.9001, modelPackageArn: packageArn(9) });
  return new HistoryBuilder()
    .started()
    .task('Admit', admitted())
    .choice('Admitted?')
    .choice('Wait for more data?')
    .choice('Rollback?')
    .task('Prepare data', {}, 30)
    .task('Train', {}, 600)
    .task('Evaluate', { evaluation: { decision, approvalStatus: 'Approved' } })
    .task('Finalize', done)
    .choice('Failed?')
    .entered('Succeed', 'Done')
    .exited('Succeed', 'Done')
    .succeeded(done);
}

/** GetExecutionHistory answers poll i with the events up to cuts[i] (the last cut from then on). */
function mockHistory(events: HistoryEvent[], cuts: number[] = [events.length]): void {
  let poll = 0;
  mocks.sfn.on(GetExecutionHistoryCommand).callsFake(() => ({ events: events.slice(0, cuts[Math.min(poll++, cuts.length - 1)]) }));
}

beforeEach(() => {
  resetMocks();
  mockStack();
  mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date('2026-11-27T12:00:00Z') });
});

describe('retrain run: starting', () => {
  it('starts the state machine with the manual-trigger input under a cli-run name', async () => {
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).events);

    await cli(['run']);

    expect(mocks.sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: expect.stringMatching(/^cli-run-20261127-120000-[0-9a-f]{6}$/),
      input: '{"dryRun":false,"force":false}',
    });
  });

  it('passes --reason, --dry-run and --force in the input', async () => {
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).events);

    await cli(['run', '--reason', 'new labels from the March audit', '--dry-run', '--force']);

    expect(mocks.sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ reason: 'new labels from the March audit', dryRun: true, force: true }),
    });
  });

  it('uses --state-machine-arn without describing the stack', async () => {
    const other = 'arn:aws:states:eu-west-1:123456789012:stateMachine:other-pipeline';
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).events);

    await cli(['run', '--state-machine-arn', other]);

    expect(mocks.cloudFormation).not.toHaveReceivedCommand(DescribeStacksCommand);
    expect(mocks.sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: other });
  });

  it('refuses an empty reason before calling AWS', async () => {
    const { stderr, exitCode } = await cli(['run', '--reason', ' ']);

    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/expected a non-empty reason/);
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('reports a missing state machine in one line', async () => {
    mocks.sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${STATE_MACHINE_ARN}'`));

    const { stderr, exitCode } = await cli(['run']);

    expect(exitCode).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^retrain: Step Functions StartExecution failed .*StateMachineDoesNotExist: State Machine Does Not Exist/);
  });
});

describe('retrain run: without --wait', () => {
  it('waits for the Admit state and prints the run id, execution and console link', async () => {
    const history = new HistoryBuilder().started().task('Admit', admitted()).choice('Admitted?').events;
    mockHistory(history, [1, 3, history.length]);

    const { stdout, exitCode, sleeps } = await cli(['run']);

    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        `Execution  ${NAME}`,
        `ARN        ${EXECUTION}`,
        `Console    ${CONSOLE}`,
        `Run        ${RUN_ID}`,
        `Admission  started: run ${RUN_ID} holds the pipeline`,
      ].join('\n'),
    );
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('says why no run started when the trigger was queued', async () => {
    const reason = 'run 20261127-110000-aaaaaa holds the pipeline; this trigger is carried by a follow-up run when it ends';
    mockHistory(new HistoryBuilder().started().task('Admit', admitted('queued', reason, undefined)).events);

    const { stdout } = await cli(['run']);

    expect(stdout.split('\n').slice(3)).toEqual(['Run        none (queued)', `Admission  queued: ${reason}`]);
  });

  it('returns after 30 s without a run id when admission has not finished', async () => {
    mockHistory(new HistoryBuilder().started().entered('Task', 'Admit').events);

    const { stdout, exitCode, sleeps } = await cli(['run']);

    expect(exitCode).toBe(0);
    expect(stdout.split('\n')[3]).toBe('Run        not known yet: the Admit state has not finished; see retrain status or the console');
    expect(sleeps).toHaveLength(29);
  });

  it('exits 1 when the pipeline rejects the input', async () => {
    const reason = 'execution input: reason: Too big: expected string to have <=1000 characters';
    mockHistory(new HistoryBuilder().started().task('Admit', { admission: { outcome: 'rejected', reason, debounceSeconds: 0 } }).events);

    const { stdout, stderr, exitCode } = await cli(['run']);

    expect(exitCode).toBe(1);
    expect(stdout.split('\n').slice(3)).toEqual(['Run        none (rejected)', `Admission  rejected: ${reason}`]);
    expect(stderr).toBe(`retrain: the pipeline rejected the input: ${reason}`);
  });

  it('exits 1 when the execution fails before admission', async () => {
    mockHistory(
      new HistoryBuilder()
        .started()
        .failedTask('Admit', 'AwsRequestError', 'DynamoDB PutItem failed: AccessDeniedException')
        .failed('AwsRequestError', JSON.stringify({ errorType: 'AwsRequestError', errorMessage: 'DynamoDB PutItem failed: AccessDeniedException' })).events,
    );

    const { stdout, stderr, exitCode } = await cli(['run']);

    expect(exitCode).toBe(1);
    expect(stdout.split('\n')[3]).toBe('Run        none: the execution failed (AwsRequestError: DynamoDB PutItem failed: AccessDeniedException)');
    expect(stderr).toBe(`retrain: execution ${NAME} failed: AwsRequestError: DynamoDB PutItem failed: AccessDeniedException`);
  });

  it('prints one JSON object with the run id and the admission', async () => {
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).events);

    const { stdout } = await cli(['run', '--json']);

    expect(JSON.parse(stdout)).toEqual({
      executionName: NAME,
      executionArn: EXECUTION,
      consoleUrl: CONSOLE,
      runId: RUN_ID,
      admission: { runId: RUN_ID, outcome: 'started', reason: `run ${RUN_ID} holds the pipeline` },
    } satisfies StartedJson);
  });
});

describe('retrain run --wait', () => {
  it('prints each state entered, exited or failed once, then the outcome', async () => {
    const history = deployedRun().events;
    mockHistory(history, [4, 12, 20, history.length]);

    const { stdout, stderr, exitCode, sleeps } = await cli(['run', '--wait']);

    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        `Execution  ${NAME}`,
        `ARN        ${EXECUTION}`,
        `Console    ${CONSOLE}`,
        '12:00:01  entered  Admit',
        `12:00:05  exited   Admit — run ${RUN_ID}: started`,
        '12:00:06  entered  Admitted?',
        '12:00:08  entered  Wait for more data?',
        '12:00:10  entered  Rollback?',
        '12:00:12  entered  Prepare data',
        '12:00:45  exited   Prepare data',
        '12:00:46  entered  Train',
        '12:10:49  exited   Train',
        '12:10:50  entered  Evaluate',
        "12:10:54  exited   Evaluate — gate passed: auc 0.9123 beats the champion's 0.9001 by 0.0122 (needed 0.005)",
        '12:10:55  entered  Finalize',
        '12:10:59  exited   Finalize — deployed',
        '12:11:00  entered  Failed?',
        '12:11:02  entered  Done',
        '12:11:03  exited   Done',
        `Run ${RUN_ID}: deployed after 12m 09s — auc 0.9123 beats the champion's 0.9001 by 0.0122 (needed 0.005); now serving`,
      ].join('\n'),
    );
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(mocks.sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION, includeExecutionData: true });
  });

  it('reads every page of the history', async () => {
    const history = deployedRun().events;
    mocks.sfn
      .on(GetExecutionHistoryCommand)
      .callsFake((input: { nextToken?: string }) =>
        input.nextToken === 'page-2' ? { events: history.slice(10) } : { events: history.slice(0, 10), nextToken: 'page-2' },
      );

    const { stdout, exitCode } = await cli(['run', '--wait']);

    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/Run 20261127-120001-3fa1c9: deployed after 12m 09s/);
    expect(mocks.sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { nextToken: 'page-2' });
  });

  it('exits 1 with the cause when Finalize records a failed run', async () => {
    const reason = 'Train failed: ClientError: Data download failed: s3://retrain-data/runs/x/train.csv not found';
    const failed = summary('failed', reason, { failedStep: 'Train', error: 'SageMaker.AmazonSageMakerException', cause: reason });
    const history = new HistoryBuilder()
      .started()
      .task('Admit', admitted())
      .entered('Task', 'Train')
      .add('TaskFailed', { taskFailedEventDetails: { resourceType: 'sagemaker', resource: 'createTrainingJob.sync', error: 'States.TaskFailed', cause: 'ClientError: Data download failed' } })
      .entered('Pass', 'Train failed')
      .exited('Pass', 'Train failed')
      .task('Finalize', failed)
      .entered('Fail', 'Run failed')
      .failed('SageMaker.AmazonSageMakerException', reason).events;
    mockHistory(history);

    const { stdout, stderr, exitCode } = await cli(['run', '--wait']);

    expect(exitCode).toBe(1);
    expect(stdout.split('\n').slice(3)).toEqual([
      '12:00:01  entered  Admit',
      `12:00:05  exited   Admit — run ${RUN_ID}: started`,
      '12:00:06  entered  Train',
      '12:00:07  failed   Train: States.TaskFailed: ClientError: Data download failed',
      '12:00:08  entered  Train failed',
      '12:00:10  entered  Finalize',
      '12:00:14  exited   Finalize — failed',
      '12:00:15  entered  Run failed',
    ]);
    expect(stderr).toBe(`retrain: run ${RUN_ID} failed: ${reason}`);
  });

  it('exits 1 when the execution fails before a run exists, with the error a Lambda raised', async () => {
    const history = new HistoryBuilder()
      .started({ reason: 'x', colour: 'red' })
      .failedTask('Admit', 'InvalidInputError', 'execution input: unknown field "colour"')
      .failed('States.TaskFailed', JSON.stringify({ errorType: 'InvalidInputError', errorMessage: 'execution input: unknown field "colour"' })).events;
    mockHistory(history);

    const { stdout, stderr, exitCode } = await cli(['run', '--wait']);

    expect(exitCode).toBe(1);
    expect(stdout.split('\n').slice(3)).toEqual(['12:00:01  entered  Admit', '12:00:03  failed   Admit: InvalidInputError: execution input: unknown field "colour"']);
    expect(stderr).toBe(`retrain: execution ${NAME} failed: States.TaskFailed: execution input: unknown field "colour"`);
  });

  it('ends without a run, exit 0, when the trigger was not admitted', async () => {
    const reason = 'event x was already delivered (started by run 20261127-110000-aaaaaa)';
    const notAdmitted = admitted('duplicate', reason, undefined);
    mockHistory(new HistoryBuilder().started().task('Admit', notAdmitted).choice('Admitted?').entered('Succeed', 'Not started').succeeded(notAdmitted).events);

    const { stdout, exitCode } = await cli(['run', '--wait']);

    expect(exitCode).toBe(0);
    expect(stdout.split('\n').pop()).toBe(`No run started: duplicate — ${reason}`);
  });

  it('tells the approver what to type when the run waits for a person', async () => {
    const registration = { modelPackageArn: packageArn(9) };
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).entered('Task', 'Wait for approval', { registration }).events);

    const { stdout, stderr, exitCode } = await cli(['run', '--wait', '--timeout', '1']);

    expect(stdout).toContain(
      '12:00:06  entered  Wait for approval — package retrain/9 waits for a person: retrain approve 9 (or retrain reject 9 --reason <why>)',
    );
    expect(exitCode).toBe(3);
    expect(stderr).toBe(`retrain: run ${RUN_ID} is still running after 1 minute; it continues: ${CONSOLE}`);
  });

  it('polls for at most --timeout minutes, every 5 s', async () => {
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).events);

    const { sleeps, exitCode } = await cli(['run', '--wait', '--timeout', '2']);

    expect(exitCode).toBe(3);
    expect(sleeps).toHaveLength(23);
    expect(mocks.sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(24);
  });

  it('retries a throttled poll on the next one', async () => {
    const history = deployedRun().events;
    let poll = 0;
    mocks.sfn.on(GetExecutionHistoryCommand).callsFake(() => {
      poll++;
      if (poll === 2) throw awsError('ThrottlingException', 'Rate exceeded');
      return { events: poll === 1 ? history.slice(0, 5) : history };
    });

    const { exitCode, stdout } = await cli(['run', '--wait']);

    expect(exitCode).toBe(0);
    expect(stdout.match(/entered {2}Admit$/gm)).toHaveLength(1);
  });

  it('prints only the final JSON object on stdout and the progress on stderr', async () => {
    mockHistory(deployedRun().events);

    const { stdout, stderr, exitCode } = await cli(['run', '--wait', '--json']);

    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout) as StartedJson;
    expect(json).toMatchObject({
      executionName: NAME,
      runId: RUN_ID,
      status: 'SUCCEEDED',
      durationSeconds: 729,
      summary: { runId: RUN_ID, outcome: 'deployed', candidateMetric: 0.9123, modelPackageArn: packageArn(9) },
    });
    expect(stderr.split('\n')[0]).toBe('12:00:01  entered  Admit');
  });

  it('prints the JSON object and exits 1 when the run failed', async () => {
    const reason = 'Evaluate failed: boom';
    mockHistory(new HistoryBuilder().started().task('Admit', admitted()).task('Finalize', summary('failed', reason)).failed('RunFailed', reason).events);

    const { stdout, exitCode } = await cli(['run', '--wait', '--json']);

    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'FAILED', summary: { outcome: 'failed' }, error: 'RunFailed', cause: reason });
  });
});

describe('consoleUrl', () => {
  it('links the execution in the Step Functions console of its region', () => {
    expect(consoleUrl('arn:aws:states:us-east-2:123456789012:execution:retrain-pipeline:x')).toBe(
      'https://us-east-2.console.aws.amazon.com/states/home?region=us-east-2#/v2/executions/details/arn:aws:states:us-east-2:123456789012:execution:retrain-pipeline:x',
    );
  });
});
