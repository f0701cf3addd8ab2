import type { AdmissionSettings, RunRecord } from '../../../lambdas/core/admission';
import { KEYS } from '../../../lambdas/core/admission';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { createFinalizeHandler } from '../../../lambdas/finalize/finalize';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeExecutions, RecordingEvents, RecordingNotifier, STATE_MACHINE_ARN, executionArn } from '../../helpers/fakes';
import { MemoryMetrics } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const RUN = '20261127-120000-abcdef';
const settings: AdmissionSettings = { cooldownMinutes: 360, quietPeriodSeconds: 120, maxWaitSeconds: 1800, triggerLogDays: 90 };

function setup() {
  const clock = new FakeClock('2026-11-27T12:20:00.000Z');
  const state = new MemoryStateStore(clock);
  const events = new RecordingEvents();
  const notifier = new RecordingNotifier();
  const metrics = new MemoryMetrics();
  const handler = createFinalizeHandler({
    state,
    clock,
    executions: new FakeExecutions(),
    sleep: async () => undefined,
    events,
    notifier,
    metrics,
  });
  return { state, events, notifier, metrics, handler };
}

/** The Finalize state's payload: the whole run state ($) and the execution. */
function finalizeEvent(run: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    run: {
      runId: RUN,
      trigger: { type: 'schedule', reason: 'scheduled retraining', detail: {}, eventId: 'sched-1', time: '2026-11-27T12:00:00Z' },
      triggers: [{ type: 'schedule', reason: 'scheduled retraining', detail: {}, eventId: 'sched-1', time: '2026-11-27T12:00:00Z' }],
      options: { dryRun: false, force: false },
      admission: { outcome: 'started', reason: `run ${RUN} holds the pipeline`, debounceSeconds: 0 },
      ...run,
    },
    execution: { arn: executionArn('exec-a'), name: 'exec-a', startTime: '2026-11-27T12:00:00.000Z' },
    stateMachineArn: STATE_MACHINE_ARN,
    settings,
    ...overrides,
  };
}

describe('finalize handler', () => {
  it('returns the summary of a deployed run as the execution output', async () => {
    const { handler, events, state } = setup();
    const run = {
      evaluation: { decision: { passed: true, metric: 'auc', direction: 'maximize', candidate: 0.91, minImprovement: 0, reason: 'auc 0.91 (first run)' }, approvalStatus: 'Approved' },
      deploy: { endpointConfigName: `retrain-${RUN}` },
      endpoint: { status: 'InService', endpointConfigName: `retrain-${RUN}`, failureReason: null },
      promotion: { champion: { runId: RUN } },
    };

    const summary = await handler(finalizeEvent(run));

    expect(summary).toMatchObject({ runId: RUN, outcome: 'deployed', durationSeconds: 1200, candidateMetric: 0.91 });
    expect(summary).not.toHaveProperty('error');
    expect(events.published.map((e) => e.detailType)).toEqual(['Model Deployed']);
    expect((await state.get<RunRecord>(KEYS.runPk, RUN))?.data.status).toBe('deployed');
  });

  it('returns error and cause for the Fail state of a failed run', async () => {
    const { handler, events } = setup();
    const cause = JSON.stringify({ errorType: 'DataValidationError', errorMessage: 'raw/a.csv line 2: label must be 0 or 1, got "x"' });

    const summary = await handler(finalizeEvent({ failedStep: 'Prepare data', error: { Error: 'DataValidationError', Cause: cause } }));

    expect(summary).toMatchObject({
      outcome: 'failed',
      failedStep: 'Prepare data',
      error: 'DataValidationError',
      cause: 'Prepare data failed: raw/a.csv line 2: label must be 0 or 1, got "x"',
    });
    expect(events.published.map((e) => e.detailType)).toEqual(['Run Failed']);
  });

  it.each([
    ['a run without a trigger event id', finalizeEvent({ trigger: { type: 'manual', reason: 'r', time: '2026-11-27T12:00:00Z' } }), /^finalize event: run\.trigger\.eventId: /],
    ['a run without options', finalizeEvent({ options: undefined }), /run\.options: /],
    ['an execution without a start time', finalizeEvent({}, { execution: { arn: executionArn('x'), name: 'x' } }), /execution\.startTime: /],
    ['settings without the cooldown', finalizeEvent({}, { settings: { ...settings, cooldownMinutes: undefined } }), /settings\.cooldownMinutes: /],
    ['an unknown top-level field', finalizeEvent({}, { output: {} }), /finalize event: .*output/],
  ])('rejects %s with InvalidInputError naming the field, and announces nothing', async (_what, event, message) => {
    const { handler, events, notifier, metrics, state } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(events.published).toEqual([]);
    expect(notifier.messages).toEqual([]);
    expect(metrics.data).toEqual([]);
    expect(state.writes).toBe(0);
  });
});
