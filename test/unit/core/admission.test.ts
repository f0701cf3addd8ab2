import type { ExecutionStatus, Executions } from '../../../lambdas/adapters/ports';
import {
  KEYS,
  admit,
  carriedTriggers,
  checkQuietPeriod,
  releaseLock,
  type AdmissionPorts,
  type AdmissionResult,
  type AdmissionSettings,
  type LockData,
  type TriggerLogData,
} from '../../../lambdas/core/admission';
import type { Trigger, TriggerType } from '../../../lambdas/core/types';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryStateStore } from '../../helpers/memory-state-store';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:retrain-pipeline';
const settings: AdmissionSettings = { cooldownMinutes: 360, quietPeriodSeconds: 120, maxWaitSeconds: 1800, triggerLogDays: 90 };
const noDebounce: AdmissionSettings = { ...settings, quietPeriodSeconds: 0 };

class FakeExecutions implements Executions {
  readonly statuses = new Map<string, ExecutionStatus>();
  readonly started: Array<{ name: string; input: Record<string, unknown> }> = [];

  async status(arn: string): Promise<ExecutionStatus> {
    return this.statuses.get(arn) ?? 'RUNNING';
  }

  async start(stateMachineArn: string, name: string, input: Record<string, unknown>): Promise<{ executionArn: string }> {
    if (!this.started.some((s) => s.name === name)) this.started.push({ name, input });
    return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
  }
}

function setup() {
  const clock = new FakeClock();
  const state = new MemoryStateStore(clock);
  const executions = new FakeExecutions();
  const ports: AdmissionPorts = { state, clock, executions, sleep: async () => undefined };
  return { state, clock, executions, ports };
}

let sequence = 0;
function execution(clock: FakeClock, name = `exec-${++sequence}`) {
  return { arn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`, name, startTime: clock.now().toISOString() };
}

function ruleInput(type: TriggerType, eventId: string, time: Date): { trigger: Trigger } {
  return { trigger: { type, reason: `${type} event`, detail: {}, eventId, time: time.toISOString() } };
}

async function admitRule(ports: AdmissionPorts, clock: FakeClock, type: TriggerType, eventId: string, s = settings) {
  const exec = execution(clock);
  const result = await admit(ports, { input: ruleInput(type, eventId, clock.now()), execution: exec, stateMachineArn: MACHINE, settings: s });
  return { result, exec };
}

async function lock(state: MemoryStateStore): Promise<LockData | undefined> {
  return (await state.get<LockData>(KEYS.lock.pk, KEYS.lock.sk))?.data;
}

/** Event ids a follow-up run carries, from the state table. */
async function carriedIds(state: MemoryStateStore, runId: string | undefined): Promise<string[]> {
  return runId === undefined ? [] : (await carriedTriggers(state, runId)).map((t) => t.eventId);
}

/** Event ids whose trigger log says they were resolved with `outcome` by run `runId`. */
function resolvedIds(state: MemoryStateStore, outcome: string, runId: string | undefined): string[] {
  return state
    .partition<TriggerLogData>(KEYS.triggerPk)
    .filter((t) => t.resolution?.outcome === outcome && t.resolution.runId === runId)
    .map((t) => t.trigger.eventId)
    .sort();
}

describe('admission: input', () => {
  it('accepts a bare {} from the console as a manual trigger', async () => {
    const { ports, clock } = setup();

    const result = await admit(ports, { input: {}, execution: execution(clock, 'console-1'), stateMachineArn: MACHINE, settings });

    expect(result.admission.outcome).toBe('started');
    expect(result.trigger).toMatchObject({ type: 'manual', eventId: 'console-1' });
    expect(result.options).toEqual({ dryRun: false, force: false });
  });

  it('accepts a reason and dryRun', async () => {
    const { ports, clock } = setup();

    const result = await admit(ports, { input: { reason: 'weekly check', dryRun: true }, execution: execution(clock), stateMachineArn: MACHINE, settings });

    expect(result.trigger?.reason).toBe('weekly check');
    expect(result.options?.dryRun).toBe(true);
  });

  it('rejects unknown fields with a cause that names them, without touching the lock', async () => {
    const { ports, clock, state } = setup();

    const result = await admit(ports, { input: { reason: 'x', dryrun: true }, execution: execution(clock), stateMachineArn: MACHINE, settings });

    expect(result.admission).toMatchObject({ outcome: 'rejected', error: 'InvalidInputError' });
    expect(result.admission.cause).toMatch(/unknown field "dryrun"/);
    expect(await lock(state)).toBeUndefined();
  });

  it('rejects an unknown trigger type from a rule', async () => {
    const { ports, clock } = setup();

    const result = await admit(ports, {
      input: { trigger: { type: 'cosmic-ray', reason: 'r', eventId: 'e', time: clock.now().toISOString() } },
      execution: execution(clock),
      stateMachineArn: MACHINE,
      settings,
    });

    expect(result.admission.outcome).toBe('rejected');
    expect(result.admission.cause).toMatch(/trigger\.type/);
  });
});

describe('admission: lock', () => {
  it('lets the first trigger take the lock and records the run and the trigger', async () => {
    const { ports, clock, state } = setup();

    const { result, exec } = await admitRule(ports, clock, 'schedule', 'evt-1');

    expect(result.admission.outcome).toBe('started');
    expect(result.runId).toMatch(/^20261127-120000-[0-9a-f]{6}$/);
    expect(await lock(state)).toMatchObject({ runId: result.runId, executionArn: exec.arn, snapshotAt: clock.now().toISOString() });
    expect(state.partition(KEYS.runPk)).toEqual([expect.objectContaining({ runId: result.runId, status: 'running' })]);
    expect(state.partition<TriggerLogData>(KEYS.triggerPk)[0]).toMatchObject({ outcome: 'started', runId: result.runId });
  });

  it('queues a trigger that arrives after the holder took its snapshot', async () => {
    const { ports, clock, state } = setup();
    const first = await admitRule(ports, clock, 'schedule', 'evt-1');
    clock.advanceSeconds(10);

    const { result } = await admitRule(ports, clock, 'manual', 'evt-2');

    expect(result.admission).toMatchObject({ outcome: 'queued', holderRunId: first.result.runId });
    expect(state.partition(KEYS.pendingPk)).toHaveLength(1);
  });

  it('marks a trigger older than the holder snapshot as covered at once', async () => {
    const { ports, clock, state } = setup();
    clock.advanceSeconds(30);
    const first = await admitRule(ports, clock, 'schedule', 'evt-1');
    const olderEvent = new Date(clock.now().getTime() - 20_000);

    const result = await admit(ports, { input: ruleInput('new-data', 'evt-old', olderEvent), execution: execution(clock), stateMachineArn: MACHINE, settings });

    expect(result.admission).toMatchObject({ outcome: 'covered', holderRunId: first.result.runId });
    expect(state.partition(KEYS.pendingPk)).toHaveLength(0);
  });

  it('recognizes the same source event delivered twice as a duplicate', async () => {
    const { ports, clock } = setup();
    await admitRule(ports, clock, 'new-data', 'evt-1');

    const { result } = await admitRule(ports, clock, 'new-data', 'evt-1');

    expect(result.admission.outcome).toBe('duplicate');
  });

  it('gives a retried Admit of the same execution the same run', async () => {
    const { ports, clock } = setup();
    const exec = execution(clock);
    const request = { input: ruleInput('schedule', 'evt-1', clock.now()), execution: exec, stateMachineArn: MACHINE, settings };

    const first = await admit(ports, request);
    const again = await admit(ports, request);

    expect(again.admission.outcome).toBe('started');
    expect(again.runId).toBe(first.runId);
  });

  it('takes over a lock whose holder execution is no longer running', async () => {
    const { ports, clock, state, executions } = setup();
    const first = await admitRule(ports, clock, 'schedule', 'evt-1');
    executions.statuses.set(first.exec.arn, 'ABORTED');
    clock.advanceSeconds(60);

    const { result, exec } = await admitRule(ports, clock, 'manual', 'evt-2');

    expect(result.admission.outcome).toBe('started');
    expect(result.admission.reason).toContain(first.result.runId);
    expect(await lock(state)).toMatchObject({ executionArn: exec.arn, previousRunId: first.result.runId });
  });
});

describe('admission: cooldown', () => {
  async function endRun(ports: AdmissionPorts, clock: FakeClock) {
    const { result, exec } = await admitRule(ports, clock, 'schedule', `run-${++sequence}`, noDebounce);
    await releaseLock(ports, { runId: result.runId!, executionArn: exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });
  }

  it('ends drift and degradation triggers within the cooldown with the time it ends', async () => {
    const { ports, clock } = setup();
    await endRun(ports, clock);
    clock.advanceSeconds(3600);

    const drift = await admitRule(ports, clock, 'drift', 'alarm-1');
    const degradation = await admitRule(ports, clock, 'degradation', 'alarm-2');

    expect(drift.result.admission).toMatchObject({ outcome: 'cooldown', cooldownUntil: '2026-11-27T18:00:00.000Z' });
    expect(degradation.result.admission.outcome).toBe('cooldown');
  });

  it('starts a drift run once the cooldown is over', async () => {
    const { ports, clock } = setup();
    await endRun(ports, clock);
    clock.advanceSeconds(6 * 3600 + 1);

    const { result } = await admitRule(ports, clock, 'drift', 'alarm-1');

    expect(result.admission.outcome).toBe('started');
  });

  it('does not apply to manual, schedule or new-data triggers', async () => {
    const { ports, clock } = setup();
    await endRun(ports, clock);

    const manual = await admit(ports, { input: { reason: 'now', force: true }, execution: execution(clock), stateMachineArn: MACHINE, settings });

    expect(manual.admission.outcome).toBe('started');
  });
});

describe('admission: debounce', () => {
  it('makes a new-data run wait for the quiet period, extended by every later upload', async () => {
    const { ports, clock, state } = setup();
    const first = await admitRule(ports, clock, 'new-data', 'obj-1');
    expect(first.result.admission.debounceSeconds).toBe(120);
    clock.advanceSeconds(60);
    await admitRule(ports, clock, 'new-data', 'obj-2'); // queued during the debounce
    clock.advanceSeconds(60);

    const check1 = await checkQuietPeriod(ports, { run: first.result as AdmissionResult & { runId: string }, settings });
    expect(check1.admission.debounceSeconds).toBe(60);
    expect((await lock(state))?.snapshotAt).toBeUndefined();

    clock.advanceSeconds(60);
    const check2 = await checkQuietPeriod(ports, { run: first.result as AdmissionResult & { runId: string }, settings });
    expect(check2.admission.debounceSeconds).toBe(0);
    expect((await lock(state))?.snapshotAt).toBe(clock.now().toISOString());
  });

  it('never waits longer than the maximum wait', async () => {
    const { ports, clock } = setup();
    const short = { ...settings, quietPeriodSeconds: 120, maxWaitSeconds: 300 };
    const first = await admitRule(ports, clock, 'new-data', 'obj-0', short);
    for (let i = 1; i <= 6; i++) {
      clock.advanceSeconds(50);
      await admitRule(ports, clock, 'new-data', `obj-${i}`, short);
    }

    const check = await checkQuietPeriod(ports, { run: first.result as AdmissionResult & { runId: string }, settings: short });

    expect(check.admission.debounceSeconds).toBe(0);
    expect(check.admission.reason).toMatch(/maximum 300 s/);
  });
});

describe('admission: release and follow-up', () => {
  it('covers pending triggers older than the snapshot and starts exactly one follow-up for the rest', async () => {
    const { ports, clock, state, executions } = setup();
    const holder = await admitRule(ports, clock, 'new-data', 'obj-1');
    clock.advanceSeconds(30);
    await admitRule(ports, clock, 'new-data', 'obj-2'); // before the snapshot
    clock.advanceSeconds(150);
    await checkQuietPeriod(ports, { run: holder.result as AdmissionResult & { runId: string }, settings });
    clock.advanceSeconds(600);
    await admitRule(ports, clock, 'new-data', 'obj-3'); // after the snapshot
    await admitRule(ports, clock, 'schedule', 'tick-1'); // after the snapshot
    await admitRule(ports, clock, 'drift', 'alarm-1'); // after the snapshot, within the cooldown it ends

    const released = await releaseLock(ports, {
      runId: holder.result.runId!,
      executionArn: holder.exec.arn,
      stateMachineArn: MACHINE,
      status: 'deployed',
      settings,
    });

    expect(released).toMatchObject({ covered: 1, cooldown: 1, followUp: { triggers: 2 } });
    expect(await carriedIds(state, released.followUp?.runId)).toEqual(['obj-3', 'tick-1']);
    expect(executions.started).toHaveLength(1);
    expect(executions.started[0]).toMatchObject({ name: released.followUp?.runId, input: { followUp: { previousRunId: holder.result.runId } } });
    expect(state.partition(KEYS.pendingPk)).toHaveLength(0);
    const logs = Object.fromEntries(state.partition<TriggerLogData>(KEYS.triggerPk).map((t) => [t.trigger.eventId, t.resolution?.outcome]));
    expect(logs).toEqual({ 'obj-1': undefined, 'obj-2': 'covered', 'obj-3': 'followed-up', 'tick-1': 'followed-up', 'alarm-1': 'cooldown' });
  });

  it('lets the follow-up run take the handed-over lock with the carried triggers', async () => {
    const { ports, clock, executions } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(60);
    await admitRule(ports, clock, 'manual', 'person-1', noDebounce);
    await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'rejected', settings: noDebounce });
    const { name, input } = executions.started[0];

    const followUp = await admit(ports, { input, execution: execution(clock, name), stateMachineArn: MACHINE, settings: noDebounce });

    expect(followUp.admission.outcome).toBe('started');
    expect(followUp.runId).toBe(name);
    expect(followUp.triggers?.map((t) => t.eventId)).toEqual(['person-1']);
  });

  it('deletes the lock when nothing is pending, and starts no run', async () => {
    const { ports, clock, state, executions } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);

    await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });

    expect(await lock(state)).toBeUndefined();
    expect(executions.started).toHaveLength(0);
  });

  it('starts the follow-up again when Finalize is retried after the hand-over', async () => {
    const { ports, clock, executions } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(1);
    await admitRule(ports, clock, 'manual', 'person-1', noDebounce);
    const request = { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed' as const, settings: noDebounce };
    const first = await releaseLock(ports, request);

    const again = await releaseLock(ports, request);

    expect(again.followUp?.runId).toBe(first.followUp?.runId);
    expect(executions.started).toHaveLength(1);
  });

  it('hands carried triggers to whoever takes over a follow-up lock whose run never started', async () => {
    const { ports, clock, executions, state } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(1);
    await admitRule(ports, clock, 'manual', 'person-1', noDebounce);
    const released = await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });
    executions.statuses.set(released.followUp!.executionArn, 'NOT_FOUND');
    clock.advanceSeconds(60);

    const taker = await admitRule(ports, clock, 'manual', 'person-2', noDebounce);
    const end = await releaseLock(ports, { runId: taker.result.runId!, executionArn: taker.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });

    expect(taker.result.admission.outcome).toBe('started');
    expect(end.covered).toBe(1);
    expect(resolvedIds(state, 'covered', taker.result.runId)).toEqual(['person-1']);
    expect(await carriedIds(state, released.followUp!.runId)).toEqual([]);
    expect(state.partition(KEYS.pendingPk)).toHaveLength(0);
  });
});

describe('admission: dry runs and rollbacks keep their kind', () => {
  it('never lets a training run answer a queued dry run: the follow-up is a dry run of its own', async () => {
    const { ports, clock, executions, state } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(1);
    const dry = await admit(ports, { input: { reason: 'try', dryRun: true }, execution: execution(clock), stateMachineArn: MACHINE, settings: noDebounce });

    const released = await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });

    expect(dry.admission.outcome).toBe('queued');
    expect(released.followUp?.triggers).toBe(1);
    expect(await carriedIds(state, released.followUp?.runId)).toEqual([dry.trigger!.eventId]);
    expect(executions.started[0].input).toMatchObject({ followUp: { options: { dryRun: true } } });
  });

  it('carries plain triggers first and keeps a queued rollback pending for the run after', async () => {
    const { ports, clock, state, executions } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(1);
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/retrain/3';
    await admit(ports, { input: { rollback: { modelPackageArn: arn, reason: 'bad model' } }, execution: execution(clock), stateMachineArn: MACHINE, settings: noDebounce });
    await admitRule(ports, clock, 'manual', 'person-1', noDebounce);

    const first = await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });
    const followUp = await admit(ports, { input: executions.started[0].input, execution: execution(clock, executions.started[0].name), stateMachineArn: MACHINE, settings: noDebounce });
    const second = await releaseLock(ports, {
      runId: followUp.runId!,
      executionArn: execution(clock, executions.started[0].name).arn,
      stateMachineArn: MACHINE,
      status: 'deployed',
      settings: noDebounce,
    });

    expect(await carriedIds(state, first.followUp?.runId)).toEqual(['person-1']);
    expect(second.followUp?.triggers).toBe(1);
    expect(executions.started[1].input).toMatchObject({ followUp: { options: { rollbackTo: arn } } });
    expect(state.partition(KEYS.pendingPk)).toHaveLength(0);
  });
});

describe('admission: bursts', () => {
  it('turns 100 concurrent new-data triggers into one run and 99 queued, then covered, outcomes', async () => {
    const { ports, clock, state, executions } = setup();

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => admitRule(ports, clock, 'new-data', `obj-${i}`)));
    const outcomes = results.map((r) => r.result.admission.outcome);
    const holder = results.find((r) => r.result.admission.outcome === 'started')!;
    clock.advanceSeconds(120);
    await checkQuietPeriod(ports, { run: holder.result as AdmissionResult & { runId: string }, settings });
    const released = await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings });

    expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'queued')).toHaveLength(99);
    expect(released.covered).toBe(99);
    expect(resolvedIds(state, 'covered', holder.result.runId)).toHaveLength(99);
    expect(executions.started).toHaveLength(0);
    expect(state.partition<TriggerLogData>(KEYS.triggerPk).filter((t) => t.outcome === undefined)).toHaveLength(0);
  });

  it.each([0, 1, 2, 3, 5, 8, 13, 21])('loses no trigger that queues while the holder is releasing (release after %i ticks)', async (ticks) => {
    const { ports, clock, executions, state } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(5);

    const afterTicks = async () => {
      for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    const [released, ...late] = await Promise.all([
      afterTicks().then(() => releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce })),
      ...Array.from({ length: 20 }, (_, i) => admitRule(ports, clock, 'manual', `late-${i}`, noDebounce)),
    ]);

    const startedIds = late.filter((l) => l.result.admission.outcome === 'started').map((l) => l.result.trigger!.eventId);
    const pendingIds = state.partition<{ trigger: Trigger }>(KEYS.pendingPk).map((p) => p.trigger.eventId);
    const coveredNow = late.filter((l) => l.result.admission.outcome === 'covered').map((l) => l.result.trigger!.eventId);
    const carried = resolvedIds(state, 'followed-up', released.followUp?.runId);
    expect(carried).toEqual((await carriedIds(state, released.followUp?.runId)).sort());
    const answered = new Set([...startedIds, ...coveredNow, ...carried, ...resolvedIds(state, 'covered', holder.result.runId), ...pendingIds]);
    // Every late trigger started the next run itself, was covered by its snapshot, was carried
    // by the follow-up, or waits (pending) for the run that holds the lock now — and at most
    // one run holds it.
    expect([...answered].sort()).toEqual(late.map((l) => l.result.trigger!.eventId).sort());
    expect(startedIds.length + (released.followUp ? 1 : 0)).toBeLessThanOrEqual(1);
    expect(executions.started).toHaveLength(released.followUp ? 1 : 0);
  });
});

describe('admission: a release that fails half-way', () => {
  /** Fails every state write after the first `allowed` writes whose key satisfies `matches`. */
  function failAfter(state: MemoryStateStore, allowed: number, matches: (pk: string) => boolean) {
    let count = 0;
    const fail = (pk: string) => {
      if (matches(pk) && ++count > allowed) throw new Error('Lambda timed out');
    };
    const put = state.put.bind(state);
    const remove = state.delete.bind(state);
    state.put = async (item, condition) => {
      fail(item.pk);
      return put(item, condition);
    };
    state.delete = async (pk, sk, condition) => {
      fail(pk);
      return remove(pk, sk, condition);
    };
    return () => {
      state.put = put;
      state.delete = remove;
    };
  }

  async function holderWithLateTriggers(count: number) {
    const f = setup();
    const holder = await admitRule(f.ports, f.clock, 'schedule', 'tick-0', noDebounce);
    f.clock.advanceSeconds(5);
    for (let i = 0; i < count; i++) await admitRule(f.ports, f.clock, 'manual', `late-${String(i).padStart(3, '0')}`, noDebounce);
    const request = { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed' as const, settings: noDebounce };
    return { ...f, holder, request };
  }

  it.each([
    ['while copying the carried triggers', 5, (pk: string) => pk.startsWith('CARRIED#')],
    ['after the hand-over, while answering', 7, (pk: string) => pk === KEYS.pendingPk],
    ['after the hand-over, while resolving the trigger log', 3, (pk: string) => pk === KEYS.triggerPk],
  ])('finishes the same release when Finalize is retried after failing %s', async (_when, allowed, matches) => {
    const { ports, state, executions, request } = await holderWithLateTriggers(40);
    const restore = failAfter(state, allowed, matches);
    await expect(releaseLock(ports, request)).rejects.toThrow('Lambda timed out');
    restore();

    const retried = await releaseLock(ports, request);

    const followUp = retried.followUp!;
    expect(followUp.triggers).toBe(40);
    expect(executions.started.map((s) => s.name)).toEqual([followUp.runId]);
    expect(state.partition(KEYS.pendingPk)).toEqual([]);
    const late = state.partition<TriggerLogData>(KEYS.triggerPk).filter((t) => t.trigger.eventId.startsWith('late-'));
    expect(late).toHaveLength(40);
    for (const log of late) expect(log.resolution).toMatchObject({ outcome: 'followed-up', runId: followUp.runId });
    expect(await carriedIds(state, followUp.runId)).toEqual(late.map((t) => t.trigger.eventId).sort());
  });

  it('lets the next trigger take over a lock left closing by a holder whose execution died', async () => {
    const { ports, clock, state, executions, request } = await holderWithLateTriggers(3);
    const restore = failAfter(state, 0, (pk) => pk === KEYS.pendingPk || pk.startsWith('CARRIED#'));
    await expect(releaseLock(ports, request)).rejects.toThrow('Lambda timed out');
    restore();
    expect(await lock(state)).toMatchObject({ closing: true, runId: request.runId });
    executions.statuses.set(request.executionArn, 'FAILED');
    clock.advanceSeconds(60);

    const taker = await admitRule(ports, clock, 'manual', 'person-9', noDebounce);
    const end = await releaseLock(ports, { ...request, runId: taker.result.runId!, executionArn: taker.exec.arn });

    expect(taker.result.admission.outcome).toBe('started');
    expect(end.covered).toBe(3); // the three the dead holder never answered, older than the taker's snapshot
    expect(state.partition(KEYS.pendingPk)).toEqual([]);
  });
});

describe('admission: the lock and the follow-up input stay small whatever the burst', () => {
  it('hands over 2,000 carried triggers with a lock and an execution input of a few hundred bytes', async () => {
    const { ports, clock, state, executions } = setup();
    const holder = await admitRule(ports, clock, 'schedule', 'tick-0', noDebounce);
    clock.advanceSeconds(5);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => admitRule(ports, clock, 'new-data', `obj-${String(i).padStart(4, '0')}`, noDebounce)));

    const released = await releaseLock(ports, { runId: holder.result.runId!, executionArn: holder.exec.arn, stateMachineArn: MACHINE, status: 'deployed', settings: noDebounce });
    const followUp = await admit(ports, { input: executions.started[0].input, execution: execution(clock, executions.started[0].name), stateMachineArn: MACHINE, settings: noDebounce });

    expect(released.followUp?.triggers).toBe(2000);
    expect(JSON.stringify(executions.started[0].input).length).toBeLessThan(1000);
    expect(JSON.stringify(await lock(state)).length).toBeLessThan(1500);
    expect(followUp).toMatchObject({ admission: { outcome: 'started' }, triggerCount: 2000 });
    expect(followUp.triggers).toHaveLength(10);
    expect(JSON.stringify(followUp).length).toBeLessThan(6000);
    const record = state.partition<{ triggerCount: number; triggerTypes: string[] }>(KEYS.runPk).find((r) => r.triggerCount === 2000);
    expect(record?.triggerTypes).toEqual(['new-data']);
    expect(await carriedTriggers(state, followUp.runId!)).toHaveLength(2000);
  });
});
