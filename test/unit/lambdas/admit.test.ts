import { KEYS, type AdmissionSettings, type LockData } from '../../../lambdas/core/admission';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { createAdmitHandler } from '../../../lambdas/admit/admit';
import { FakeClock } from '../../helpers/fake-clock';
import { FakeExecutions, STATE_MACHINE_ARN, executionArn } from '../../helpers/fakes';
import { MemoryMetrics } from '../../helpers/memory';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const settings: AdmissionSettings = { cooldownMinutes: 360, quietPeriodSeconds: 120, maxWaitSeconds: 1800, triggerLogDays: 90 };

function setup() {
  const clock = new FakeClock('2026-11-27T12:00:00.000Z');
  const state = new MemoryStateStore(clock);
  const metrics = new MemoryMetrics();
  const handler = createAdmitHandler({ state, clock, executions: new FakeExecutions(), sleep: async () => undefined, metrics });
  return { state, clock, metrics, handler };
}

/** The Admit state's payload for an execution input. */
function admitEvent(input: unknown, name: string, clock: FakeClock) {
  return {
    action: 'admit',
    input,
    execution: { arn: executionArn(name), name, startTime: clock.now().toISOString() },
    stateMachineArn: STATE_MACHINE_ARN,
    settings,
  };
}

function newData(eventId: string, time: string) {
  return { trigger: { type: 'new-data', reason: '1 new object under raw/', detail: { key: 'raw/a.csv' }, eventId, time } };
}

describe('admit handler: admit', () => {
  it('starts a run and counts the trigger by type and outcome', async () => {
    const { handler, metrics, clock } = setup();

    const result = await handler(admitEvent({ reason: 'weekly check' }, 'console-1', clock));

    expect(result.admission.outcome).toBe('started');
    expect(result.trigger).toMatchObject({ type: 'manual', reason: 'weekly check' });
    expect(metrics.data).toEqual([{ name: 'Triggers', value: 1, unit: 'Count', dimensions: { TriggerType: 'manual', Outcome: 'started' } }]);
  });

  it('counts a queued trigger with its own type', async () => {
    const { handler, metrics, clock } = setup();
    await handler(admitEvent({}, 'console-1', clock));
    clock.advanceSeconds(30);

    const result = await handler(admitEvent(newData('s3-evt-1', clock.now().toISOString()), 'rule-1', clock));

    expect(result.admission.outcome).toBe('queued');
    expect(metrics.named('Triggers', { TriggerType: 'new-data' })).toEqual([
      { name: 'Triggers', value: 1, unit: 'Count', dimensions: { TriggerType: 'new-data', Outcome: 'queued' } },
    ]);
  });

  it('counts an execution input it rejects as TriggerType invalid, Outcome rejected', async () => {
    const { handler, metrics, clock } = setup();

    const result = await handler(admitEvent({ dryrun: true }, 'console-1', clock));

    expect(result.admission).toMatchObject({ outcome: 'rejected', error: 'InvalidInputError' });
    expect(metrics.data).toEqual([{ name: 'Triggers', value: 1, unit: 'Count', dimensions: { TriggerType: 'invalid', Outcome: 'rejected' } }]);
  });
});

describe('admit handler: debounce', () => {
  it('asks the run to wait while new data keeps arriving, without counting a trigger', async () => {
    const { handler, metrics, clock } = setup();
    const started = await handler(admitEvent(newData('s3-evt-1', clock.now().toISOString()), 'rule-1', clock));
    expect(started.admission.debounceSeconds).toBe(120);
    clock.advanceSeconds(60);

    const result = await handler({ action: 'debounce', run: started, settings });

    expect(result.admission.debounceSeconds).toBe(60);
    expect(metrics.data).toHaveLength(1);
  });

  it('takes the snapshot once the quiet period has passed', async () => {
    const { handler, state, clock } = setup();
    const started = await handler(admitEvent(newData('s3-evt-1', clock.now().toISOString()), 'rule-1', clock));
    clock.advanceSeconds(121);

    const result = await handler({ action: 'debounce', run: started, settings });

    expect(result.admission.debounceSeconds).toBe(0);
    expect((await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk))?.data.snapshotAt).toBe('2026-11-27T12:02:01.000Z');
  });
});

describe('admit handler: event validation', () => {
  it.each([
    ['an unknown action', { action: 'release' }, /^admit event: action: /],
    ['an admit event without the execution', { action: 'admit', input: {}, stateMachineArn: STATE_MACHINE_ARN, settings }, /execution: /],
    [
      'settings with a negative cooldown',
      { ...admitEvent({}, 'x', new FakeClock()), settings: { ...settings, cooldownMinutes: -1 } },
      /settings\.cooldownMinutes: /,
    ],
    ['a debounce event without the run id', { action: 'debounce', run: { admission: { outcome: 'started' } }, settings }, /run\.runId: /],
    ['an unknown field', { ...admitEvent({}, 'x', new FakeClock()), extra: 1 }, /admit event: .*extra/],
  ])('rejects %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler, metrics } = setup();

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
    expect(metrics.data).toEqual([]);
  });
});
