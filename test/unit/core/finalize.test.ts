import { KEYS, admit, type AdmissionSettings, type LockData, type RunRecord } from '../../../lambdas/core/admission';
import { decideOutcome, finalizeRun, readableCause, type FinalizePorts, type RunState } from '../../../lambdas/core/finalize';
import type { ExecutionRef } from '../../../lambdas/core/triggers';
import type { GateDecision } from '../../../lambdas/core/types';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeExecutions, RecordingEvents, RecordingNotifier, STATE_MACHINE_ARN, executionArn, modelPackageArn, trigger } from '../../helpers/fakes';
import { MemoryMetrics } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const settings: AdmissionSettings = { cooldownMinutes: 360, quietPeriodSeconds: 0, maxWaitSeconds: 1800, triggerLogDays: 90 };
const PACKAGE = modelPackageArn('retrain-models', 4);

const passed: GateDecision = {
  passed: true,
  metric: 'auc',
  direction: 'maximize',
  candidate: 0.912,
  champion: 0.887,
  minImprovement: 0.005,
  reason: "auc 0.912 beats the champion's 0.887 by 0.025 (needed 0.005)",
};

const failedGate: GateDecision = { ...passed, passed: false, candidate: 0.88, reason: "auc 0.88 does not beat the champion's 0.887" };

/** The state machine's $ at Finalize, for a run that got this far. */
function runState(overrides: Partial<RunState> = {}): RunState {
  return {
    runId: '20261127-120000-abcdef',
    trigger: trigger({ type: 'schedule', reason: 'scheduled retraining', eventId: 'sched-1' }),
    options: { dryRun: false, force: false },
    ...overrides,
  };
}

/** A run that passed the gate, was registered, deployed and promoted. */
function deployedRun(overrides: Partial<RunState> = {}): RunState {
  return runState({
    prepared: { rows: { train: 700, validation: 150, test: 150 }, keys: { quarantine: 'quarantine/r/rejected.csv' }, champion: { runId: 'r0' } },
    training: { jobName: 'retrain-r1', modelArtifacts: 's3://b/runs/r1/model/model.tar.gz' },
    evaluation: { decision: passed, approvalStatus: 'Approved' },
    registration: { modelPackageArn: PACKAGE },
    deploy: { endpointConfigName: 'retrain-r1', previousEndpointConfigName: 'retrain-r0' },
    endpoint: { status: 'InService', endpointConfigName: 'retrain-r1', failureReason: null },
    promotion: { champion: { runId: 'r1' } },
    ...overrides,
  });
}

function setup() {
  const clock = new FakeClock('2026-11-27T12:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const executions = new FakeExecutions();
  const events = new RecordingEvents();
  const notifier = new RecordingNotifier();
  const metrics = new MemoryMetrics();
  const ports: FinalizePorts = { state, clock, executions, events, notifier, metrics, sleep: async () => undefined };
  return { state, clock, executions, events, notifier, metrics, ports };
}

function executionRef(name: string, startTime: string): ExecutionRef {
  return { arn: executionArn(name), name, startTime };
}

/** Starts a run through admission (it takes the lock and records the run), as the state machine does. */
async function startRun(f: ReturnType<typeof setup>, name: string, eventId = 'sched-1') {
  const execution = executionRef(name, f.clock.now().toISOString());
  const result = await admit(f.ports, {
    input: { trigger: { type: 'schedule', reason: 'scheduled retraining', eventId, time: f.clock.now().toISOString() } },
    execution,
    stateMachineArn: STATE_MACHINE_ARN,
    settings,
  });
  if (!result.runId || !result.trigger) throw new Error(`admission did not start the run: ${result.admission.reason}`);
  return { execution, runId: result.runId, trigger: result.trigger };
}

describe('finalize: decideOutcome of a failed run', () => {
  it('reports a plain cause with the step that failed', () => {
    const run = runState({
      failedStep: 'Prepare data',
      error: { Error: 'DataValidationError', Cause: '  raw/a.csv line 3: label must be 0 or 1, got "yes"  ' },
    });

    const outcome = decideOutcome(run);

    expect(outcome).toEqual({
      outcome: 'failed',
      error: 'DataValidationError',
      reason: 'Prepare data failed: raw/a.csv line 3: label must be 0 or 1, got "yes"',
    });
  });

  it('reads the errorMessage of a Lambda error cause', () => {
    const cause = JSON.stringify({
      errorType: 'InvalidInputError',
      errorMessage: 'deploy event: strategy.type: Invalid option',
      trace: ['InvalidInputError: deploy event: ...', '    at parseEvent (/var/task/index.js:1:1)'],
    });

    const outcome = decideOutcome(runState({ failedStep: 'Deploy', error: { Error: 'InvalidInputError', Cause: cause } }));

    expect(outcome).toMatchObject({ outcome: 'failed', error: 'InvalidInputError', reason: 'Deploy failed: deploy event: strategy.type: Invalid option' });
  });

  it('reads the FailureReason of a failed SageMaker job', () => {
    const cause = JSON.stringify({
      TrainingJobName: 'retrain-20261127-120000-abcdef',
      TrainingJobStatus: 'Failed',
      FailureReason: 'AlgorithmError: the label column has values outside [0, 1]',
      HyperParameters: { objective: 'binary:logistic' },
    });

    const outcome = decideOutcome(runState({ failedStep: 'Train', error: { Error: 'States.TaskFailed', Cause: cause } }));

    expect(outcome).toMatchObject({
      outcome: 'failed',
      error: 'States.TaskFailed',
      reason: 'Train failed: AlgorithmError: the label column has values outside [0, 1]',
    });
  });

  it('falls back to the error name when there is no cause, and to "A step" when the step is unknown', () => {
    expect(decideOutcome(runState({ failedStep: 'Register', error: { Error: 'States.Timeout' } }))).toMatchObject({
      outcome: 'failed',
      reason: 'Register failed: States.Timeout',
    });
    expect(decideOutcome(runState({ error: { Error: 'DeploymentFailedError', Cause: 'Endpoint retrain is Failed: health check' } }))).toMatchObject({
      outcome: 'failed',
      error: 'DeploymentFailedError',
      reason: 'A step failed: Endpoint retrain is Failed: health check',
    });
    expect(decideOutcome(runState({ failedStep: 'Evaluate' }))).toMatchObject({ outcome: 'failed', error: 'Error', reason: 'Evaluate failed: Error' });
  });

  it('reports a failure even when the run was a dry run that got further', () => {
    const run = runState({ options: { dryRun: true, force: false }, evaluation: { decision: passed }, failedStep: 'Evaluate', error: { Error: 'X' } });

    expect(decideOutcome(run).outcome).toBe('failed');
  });
});

describe('finalize: decideOutcome of a run that got through', () => {
  it('reports a dry run with the gate decision, whatever the gate said', () => {
    const run = runState({ options: { dryRun: true, force: false }, evaluation: { decision: failedGate, approvalStatus: 'Rejected' } });

    const outcome = decideOutcome(run);

    expect(outcome).toEqual({ outcome: 'dry-run', reason: `dry run, nothing registered or deployed: ${failedGate.reason}` });
  });

  it('reports a candidate the gate rejected with the gate reason', () => {
    const run = runState({ evaluation: { decision: failedGate, approvalStatus: 'Rejected' }, registration: { modelPackageArn: PACKAGE } });

    expect(decideOutcome(run)).toEqual({ outcome: 'rejected', reason: failedGate.reason });
  });

  it('reports a package a person rejected with the reason they gave', () => {
    const run = runState({
      evaluation: { decision: passed, approvalStatus: 'PendingManualApproval' },
      approval: { approved: false, reason: 'the March data is incomplete' },
    });

    expect(decideOutcome(run)).toEqual({ outcome: 'rejected', reason: 'not approved: the March data is incomplete' });
  });

  it('reports an approval that timed out as not approved, with the timeout', () => {
    const run = runState({
      evaluation: { decision: passed, approvalStatus: 'PendingManualApproval' },
      approval: { approved: false, reason: 'No decision within 72 hours' },
    });

    expect(decideOutcome(run)).toEqual({ outcome: 'rejected', reason: 'not approved: No decision within 72 hours' });
  });

  it('reports a package that waits for a person when the run has no approval yet', () => {
    const run = runState({ evaluation: { decision: passed, approvalStatus: 'PendingManualApproval' } });

    const outcome = decideOutcome(run);

    expect(outcome.outcome).toBe('awaiting-approval');
    expect(outcome.reason).toBe(`${passed.reason}; waiting for a person to approve the package`);
  });

  it('reports a deployment that rolled back when the endpoint serves another config', () => {
    const run = deployedRun({
      endpoint: { status: 'InService', endpointConfigName: 'retrain-r0', failureReason: 'alarm retrain-errors went to ALARM' },
      promotion: undefined,
    });

    const outcome = decideOutcome(run);

    expect(outcome).toEqual({
      outcome: 'rolled-back',
      reason: 'the deployment rolled back to retrain-r0: alarm retrain-errors went to ALARM; the champion keeps serving',
    });
  });

  it('reports a rollback without a failure reason', () => {
    const run = deployedRun({ endpoint: { status: 'InService', endpointConfigName: 'retrain-r0', failureReason: null }, promotion: undefined });

    expect(decideOutcome(run).reason).toBe('the deployment rolled back to retrain-r0; the champion keeps serving');
  });

  it('reports a promoted run as deployed', () => {
    expect(decideOutcome(deployedRun())).toEqual({ outcome: 'deployed', reason: `${passed.reason}; now serving` });
  });

  it('reports a run a person approved and that was promoted as deployed', () => {
    const run = deployedRun({
      evaluation: { decision: passed, approvalStatus: 'PendingManualApproval' },
      approval: { approved: true, reason: 'approved by alice' },
    });

    expect(decideOutcome(run).outcome).toBe('deployed');
  });

  it('reports a run without a decision as failed with IncompleteRunError', () => {
    const run = runState({ evaluation: { decision: passed, approvalStatus: 'Approved' } });

    expect(decideOutcome(run)).toEqual({
      outcome: 'failed',
      error: 'IncompleteRunError',
      reason: 'the run reached Finalize without a decision (see the execution history)',
    });
  });
});

describe('finalize: readableCause', () => {
  it.each([
    ['nothing', undefined, ''],
    ['an empty cause', '', ''],
    ['a plain message, trimmed', '  disk full \n', 'disk full'],
    ['a Lambda error', '{"errorType":"TransientError","errorMessage":" throttled ","trace":[]}', 'throttled'],
    ['a SageMaker job', '{"FailureReason":"ClientError: no data in s3://b/train"}', 'ClientError: no data in s3://b/train'],
    ['a lower-case failureReason', '{"failureReason":"health check failed"}', 'health check failed'],
    ['a service message', '{"message":"Access denied"}', 'Access denied'],
    ['a service Message', '{"Message":"Rate exceeded"}', 'Rate exceeded'],
    ['JSON without a known field, as it is', '{"code":42}', '{"code":42}'],
    ['JSON null, as it is', 'null', 'null'],
    ['a JSON number, as it is', '42', '42'],
  ])('returns what a person needs from %s', (_what, cause, expected) => {
    expect(readableCause(cause)).toBe(expected);
  });

  it('prefers errorMessage over the other fields', () => {
    expect(readableCause(JSON.stringify({ message: 'outer', errorMessage: 'inner' }))).toBe('inner');
  });
});

describe('finalize: finalizeRun records and announces the outcome', () => {
  it('announces once more, without releasing again, when retried after the record was written', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    const request = { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings };
    const notify = f.ports.notifier.notify.bind(f.ports.notifier);
    let calls = 0;
    f.ports.notifier.notify = async (subject: string, message: string) => {
      if (calls++ === 0) throw new Error('SNS throttled');
      await notify(subject, message);
    };
    await expect(finalizeRun(f.ports, request)).rejects.toThrow('SNS throttled');

    const summary = await finalizeRun(f.ports, request);

    expect(summary.outcome).toBe('deployed');
    expect((await f.state.get<RunRecord & { announced: boolean }>(KEYS.runPk, runId))?.data.announced).toBe(true);
  });

  it('writes the RUN record with the outcome, keeping the admission start time', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    const admittedAt = f.clock.now().toISOString();
    f.clock.advanceSeconds(1800);

    await finalizeRun(f.ports, { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    const record = (await f.state.get<RunRecord>(KEYS.runPk, runId))?.data;
    expect(record).toEqual({
      runId,
      executionArn: execution.arn,
      trigger: expect.objectContaining({ type: 'schedule' }),
      triggers: [expect.objectContaining({ type: 'schedule' })],
      triggerCount: 1,
      triggerTypes: ['schedule'],
      options: { dryRun: false, force: false },
      startedAt: admittedAt,
      status: 'deployed',
      endedAt: '2026-11-27T12:30:00.000Z',
      metric: 'auc',
      candidateMetric: 0.912,
      championMetric: 0.887,
      modelPackageArn: PACKAGE,
      cause: `${passed.reason}; now serving`,
      covered: 0,
      summary: expect.objectContaining({ runId, outcome: 'deployed' }),
      announced: true,
    });
  });

  it('releases the lock and records when the run ended (the cooldown starts)', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    f.clock.advanceSeconds(600);

    const summary = await finalizeRun(f.ports, { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    expect(summary.release).toEqual({ covered: 0, cooldown: 0 });
    expect(await f.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk)).toBeUndefined();
    expect((await f.state.get(KEYS.lastRun.pk, KEYS.lastRun.sk))?.data).toEqual({ runId, endedAt: '2026-11-27T12:10:00.000Z', status: 'deployed' });
    expect(f.executions.started).toEqual([]);
  });

  it('starts a follow-up run for a trigger that arrived after the snapshot', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    f.clock.advanceSeconds(60);
    const queued = await admit(f.ports, {
      input: { reason: 'new labels uploaded' },
      execution: executionRef('person-1', f.clock.now().toISOString()),
      stateMachineArn: STATE_MACHINE_ARN,
      settings,
    });
    expect(queued.admission.outcome).toBe('queued');
    f.clock.advanceSeconds(600);

    const summary = await finalizeRun(f.ports, { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    expect(summary.release.followUp).toMatchObject({ triggers: 1 });
    const followUpRunId = summary.release.followUp?.runId;
    expect(f.executions.started).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: followUpRunId,
        input: {
          followUp: {
            runId: followUpRunId,
            previousRunId: runId,
            trigger: expect.objectContaining({ eventId: 'person-1' }),
            triggerCount: 1,
            options: { dryRun: false, force: false },
          },
        },
      },
    ]);
    expect((await f.state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk))?.data).toMatchObject({ runId: followUpRunId, previousRunId: runId });
    expect(f.events.published[0].detail).toMatchObject({ followUpRunId, followUpTriggers: 1 });
    expect(f.notifier.messages[0].message).toContain(`Follow-up run ${followUpRunId} carries 1 trigger(s)`);
    expect(f.metrics.named('TriggersResolved', { Resolution: 'followed-up' })).toEqual([
      { name: 'TriggersResolved', value: 1, unit: 'Count', dimensions: { Resolution: 'followed-up' } },
    ]);
  });

  it.each([
    ['deployed', 'Model Deployed', deployedRun()],
    ['rejected', 'Candidate Rejected', runState({ evaluation: { decision: failedGate, approvalStatus: 'Rejected' } })],
    ['failed', 'Run Failed', runState({ failedStep: 'Train', error: { Error: 'States.TaskFailed', Cause: 'out of memory' } })],
    ['rolled-back', 'Deployment Rolled Back', deployedRun({ endpoint: { status: 'InService', endpointConfigName: 'retrain-r0' }, promotion: undefined })],
    ['awaiting-approval', 'Awaiting Approval', runState({ evaluation: { decision: passed, approvalStatus: 'PendingManualApproval' } })],
    ['dry-run', 'Dry Run Evaluated', runState({ options: { dryRun: true, force: false }, evaluation: { decision: passed } })],
  ])('publishes exactly one "%s" event as %s and sends one notification', async (outcome, detailType, run) => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');

    const summary = await finalizeRun(f.ports, { run: { ...run, runId }, execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    expect(summary.outcome).toBe(outcome);
    expect(f.events.published).toEqual([{ detailType, detail: expect.objectContaining({ runId, outcome }) }]);
    expect(f.notifier.messages).toEqual([{ subject: `retrain: ${detailType} (run ${runId})`, message: expect.stringContaining(`Run ${runId}: ${outcome}`) }]);
  });

  it('puts Runs by outcome and trigger type, the duration and both metrics', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    f.clock.advanceSeconds(1234);

    await finalizeRun(f.ports, { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    expect(f.metrics.data).toEqual([
      { name: 'Runs', value: 1, unit: 'Count', dimensions: { Outcome: 'deployed', TriggerType: 'schedule' } },
      { name: 'Runs', value: 1, unit: 'Count', dimensions: { Outcome: 'deployed' } },
      { name: 'RunDuration', value: 1234, unit: 'Seconds' },
      { name: 'CandidateMetric', value: 0.912, unit: 'None' },
      { name: 'ChampionMetric', value: 0.887, unit: 'None' },
    ]);
  });

  it('returns a failed run summary with the step, the error and a readable cause for the Fail state', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    const cause = JSON.stringify({ errorType: 'DataValidationError', errorMessage: '12% of rows were rejected (max 1%)', trace: [] });

    const summary = await finalizeRun(f.ports, {
      run: runState({ runId, failedStep: 'Prepare data', error: { Error: 'DataValidationError', Cause: cause } }),
      execution,
      stateMachineArn: STATE_MACHINE_ARN,
      settings,
    });

    expect(summary).toMatchObject({
      outcome: 'failed',
      failedStep: 'Prepare data',
      error: 'DataValidationError',
      cause: 'Prepare data failed: 12% of rows were rejected (max 1%)',
    });
    expect(f.metrics.named('Runs', { Outcome: 'failed', TriggerType: 'schedule' })).toHaveLength(1);
    expect(f.metrics.names()).not.toContain('CandidateMetric');
    expect((await f.state.get<RunRecord>(KEYS.runPk, runId))?.data.status).toBe('failed');
  });

  it('tells people the metrics, rows, rejected rows, package and execution in the notification', async () => {
    const f = setup();
    const { execution, runId } = await startRun(f, 'exec-a');
    f.clock.advanceSeconds(90);

    await finalizeRun(f.ports, { run: deployedRun({ runId }), execution, stateMachineArn: STATE_MACHINE_ARN, settings });

    expect(f.notifier.messages[0].message.split('\n')).toEqual([
      `Run ${runId}: deployed`,
      `Why: ${passed.reason}; now serving`,
      'Trigger: schedule — scheduled retraining',
      'auc: candidate 0.9120, champion 0.8870',
      'Rows: train 700, validation 150, test 150',
      'Rejected rows: quarantine/r/rejected.csv',
      `Model package: ${PACKAGE}`,
      'Duration: 90 s',
      `Execution: ${execution.arn}`,
    ]);
  });

  it('reports a duration of 0 s when the execution start time cannot be read', async () => {
    const f = setup();
    const { runId } = await startRun(f, 'exec-a');

    const summary = await finalizeRun(f.ports, {
      run: deployedRun({ runId }),
      execution: executionRef('exec-a', 'not a time'),
      stateMachineArn: STATE_MACHINE_ARN,
      settings,
    });

    expect(summary.durationSeconds).toBe(0);
  });
});
