import { ListModelPackagesCommand } from '@aws-sdk/client-sagemaker';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Champion } from '../../../../lambdas/core/types';
import { GROUP, HistoryBuilder, STATE_MACHINE_ARN, cli, executionArn, mockRegistry, mockStack, mockTable, mocks, packageArn, packageDescription, resetMocks } from '../../../helpers/cloud-cli';

const NAME = 'cli-rollback-20261127-120000-abcdef';
const EXECUTION = executionArn(NAME);
const RUN_ID = '20261127-120001-77aa00';

const champion = (version: number): Champion => ({
  runId: `run-${version}`,
  modelPackageArn: packageArn(version),
  modelName: `retrain-run-${version}`,
  endpointConfigName: `retrain-run-${version}`,
  metric: { name: 'auc', value: 0.9 },
  baselineUri: 's3://b/baseline.json',
  schemaUri: 's3://b/schema.json',
  since: '2026-11-20T00:00:00.000Z',
});

const admitted = {
  runId: RUN_ID,
  options: { dryRun: false, force: true, rollbackTo: packageArn(7) },
  admission: { outcome: 'started', reason: `run ${RUN_ID} holds the pipeline`, debounceSeconds: 0 },
};

beforeEach(() => {
  resetMocks();
  mockStack();
  mockRegistry([
    packageDescription(7, 'Approved'),
    packageDescription(8, 'Rejected'),
    packageDescription(9, 'Approved'),
    packageDescription(10, 'PendingManualApproval'),
    packageDescription(2, 'Approved', 'other'),
  ]);
  mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  mocks.sfn.on(GetExecutionHistoryCommand).resolves({ events: new HistoryBuilder().started().task('Admit', admitted).events });
});

const startedInput = () => JSON.parse(mocks.sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? '{}') as unknown;

describe('retrain rollback: choosing the package', () => {
  it('rolls back to the newest approved package that is not the champion by default', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);

    const { stdout, stderr, exitCode } = await cli(['rollback', '--reason', 'latency regression on v9']);

    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(mocks.sageMaker).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved' });
    expect(mocks.sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: expect.stringMatching(/^cli-rollback-20261127-120000-[0-9a-f]{6}$/),
      input: JSON.stringify({ rollback: { modelPackageArn: packageArn(7), reason: 'latency regression on v9' } }),
    });
    expect(stdout).toBe(
      [
        'Rollback to  retrain/7 (run run-7, auc 0.97)',
        `Execution    ${NAME}`,
        `ARN          ${EXECUTION}`,
        `Console      https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION}`,
        `Run          ${RUN_ID}`,
        `Admission    started: run ${RUN_ID} holds the pipeline`,
      ].join('\n'),
    );
  });

  it('takes the newest approved package when there is no champion', async () => {
    mockTable([]);

    await cli(['rollback', '--reason', 'x']);

    expect(startedInput()).toEqual({ rollback: { modelPackageArn: packageArn(9), reason: 'x' } });
  });

  it('refuses when the champion holds the only approved package', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);
    mockRegistry([packageDescription(9, 'Approved'), packageDescription(8, 'Rejected')]);

    const { stderr, exitCode } = await cli(['rollback', '--reason', 'x']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe("retrain: group retrain has no approved package other than the champion's (retrain/9) to roll back to; pass --to <package>");
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('rolls back to the package given with --to', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);

    const { exitCode } = await cli(['rollback', '--to', packageArn(7), '--reason', 'x']);

    expect(exitCode).toBe(0);
    expect(startedInput()).toEqual({ rollback: { modelPackageArn: packageArn(7), reason: 'x' } });
    expect(mocks.sageMaker).not.toHaveReceivedCommand(ListModelPackagesCommand);
  });

  it.each([
    ['8', 'retrain: package retrain/8 is Rejected; only approved packages can be rolled back to'],
    ['10', 'retrain: package retrain/10 is PendingManualApproval; only approved packages can be rolled back to'],
    [packageArn(2, 'other'), "retrain: package other/2 belongs to group other, not to this project's group retrain"],
  ])('refuses --to %s', async (to, message) => {
    mockTable([]);

    const { stderr, exitCode } = await cli(['rollback', '--to', to, '--reason', 'x']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(message);
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('notes that the package is already the champion and deploys it again', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);

    const { stderr, exitCode } = await cli(['rollback', '--to', '9', '--reason', 'endpoint was changed by hand']);

    expect(exitCode).toBe(0);
    expect(stderr).toBe('retrain: note: retrain/9 is already the champion; it is deployed again');
    expect(startedInput()).toEqual({ rollback: { modelPackageArn: packageArn(9), reason: 'endpoint was changed by hand' } });
  });

  it('needs a reason', async () => {
    const { stderr, exitCode } = await cli(['rollback']);

    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/required option '--reason <text>' not specified/);
  });
});

describe('retrain rollback: reporting', () => {
  it('follows the execution with --wait', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);
    const done = { runId: RUN_ID, outcome: 'deployed', reason: 'rollback to model package version 7; now serving', durationSeconds: 421 };
    mocks.sfn.on(GetExecutionHistoryCommand).resolves({
      events: new HistoryBuilder().started().task('Admit', admitted).choice('Admitted?').task('Prepare rollback', {}).task('Finalize', done).succeeded(done).events,
    });

    const { stdout, exitCode } = await cli(['rollback', '--reason', 'x', '--wait']);

    expect(exitCode).toBe(0);
    expect(stdout.split('\n').slice(4)).toEqual([
      '12:00:01  entered  Admit',
      `12:00:05  exited   Admit — run ${RUN_ID}: started`,
      '12:00:06  entered  Admitted?',
      '12:00:08  entered  Prepare rollback',
      '12:00:12  exited   Prepare rollback',
      '12:00:13  entered  Finalize',
      '12:00:17  exited   Finalize — deployed',
      `Run ${RUN_ID}: deployed after 7m 01s — rollback to model package version 7; now serving`,
    ]);
  });

  it('prints one JSON object naming the package', async () => {
    mockTable([{ pk: 'CHAMPION', sk: 'CURRENT', data: champion(9) }]);

    const { stdout } = await cli(['rollback', '--reason', 'x', '--json']);

    expect(JSON.parse(stdout)).toEqual({
      rollbackTo: { modelPackageArn: packageArn(7), package: 'retrain/7', version: 7 },
      executionName: NAME,
      executionArn: EXECUTION,
      consoleUrl: expect.stringContaining(EXECUTION),
      runId: RUN_ID,
      admission: { runId: RUN_ID, outcome: 'started', reason: `run ${RUN_ID} holds the pipeline` },
    });
  });
});
