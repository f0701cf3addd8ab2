/**
 * Retraining triggers end to end in local mode: events reach the synthesized rules, the rules
 * start the synthesized state machine, and admission decides. Every trigger must end in exactly
 * one recorded outcome (started, queued then covered or followed up, cooldown, duplicate), and
 * at most one run may hold the pipeline.
 */
import type { LocalRetrain } from '../../local/runner';
import { dataset } from '../helpers/local';
import {
  admissionOf,
  eventsFrom,
  executionsWhere,
  finishAndClose,
  monitorsReport,
  newRun,
  objectCreatedEvent,
  runningExecution,
  runOf,
  runsSince,
  openWithTrainingHook,
} from '../helpers/local-scenarios';

/**
 * One project, in order: the burst deploys the first champion, and the later scenarios start from
 * the lock and the run history the earlier ones left (the cooldown scenario needs the run that
 * ended just before it). All data lands on the same virtual day.
 */
describe('triggers: admission on one project, in order', () => {
  let local: LocalRetrain;
  /** Schedules work for when the next Train task starts (the run is past its data snapshot then). */
  let duringTraining: (work: () => Promise<void>) => void;

  beforeAll(async () => {
    ({ local, duringNextTraining: duringTraining } = await openWithTrainingHook());
  });

  afterAll(async () => {
    await finishAndClose(local);
  });

  it('starts exactly one run for 100 new-data triggers within a second; the 99 others are covered by its snapshot', async () => {
    const events = await eventsFrom(local);

    for (let i = 0; i < 100; i++) {
      await local.upload(`raw/burst/part-${String(i).padStart(3, '0')}.csv`, dataset(100 + i, 20));
      local.advance(0.01);
    }
    await local.settle();

    const run = await newRun(local, []);
    expect(run).toMatchObject({ status: 'deployed', trigger: { type: 'new-data' }, covered: 99 });
    const logs = await local.triggers();
    expect(logs).toHaveLength(100);
    expect(new Set(logs.map((l) => l.trigger.detail.key)).size).toBe(100);
    const started = logs.filter((l) => l.outcome === 'started');
    expect(started).toEqual([expect.objectContaining({ runId: run.runId, trigger: expect.objectContaining({ eventId: run.trigger.eventId }) })]);
    const others = logs.filter((l) => l.outcome !== 'started');
    expect(others).toHaveLength(99);
    for (const log of others) {
      expect(log).toMatchObject({ outcome: 'queued', holderRunId: run.runId, resolution: { outcome: 'covered', runId: run.runId } });
    }
    const published = await events.all();
    expect(published.map((e) => e.detailType)).toEqual(['Model Deployed']);
    expect(published[0].detail).toMatchObject({ runId: run.runId, coveredTriggers: 99 });
    expect(await local.lock()).toBeUndefined();
    expect(await local.pending()).toEqual([]);
  });

  it('carries every trigger that arrives during a run by exactly one follow-up run', async () => {
    const runsBefore = await local.runs();
    const midRun: ReturnType<LocalRetrain['startRun']>[] = [];
    duringTraining(async () => {
      local.advance(60); // training takes a while: these arrive after the holder's snapshot
      for (const i of [1, 2, 3]) midRun.push(local.startRun({ reason: `mid-run request ${i}` }));
      await Promise.all(midRun.map((e) => e.done));
    });

    const holder = local.startRun({ reason: 'holds the pipeline' });
    await local.settle();

    expect(midRun.map((e) => admissionOf(e)?.outcome)).toEqual(['queued', 'queued', 'queued']);
    const holderRun = await runOf(local, holder);
    const runs = await runsSince(local, runsBefore);
    expect(runs).toHaveLength(2);
    const followUp = runs.find((r) => r.runId !== holderRun.runId)!;
    expect(followUp.triggers.map((t) => t.reason).sort()).toEqual(['mid-run request 1', 'mid-run request 2', 'mid-run request 3']);
    expect(followUp.status).not.toBe('running');
    const midRunLogs = (await local.triggers()).filter((l) => l.trigger.reason.startsWith('mid-run request'));
    expect(midRunLogs).toHaveLength(3);
    for (const log of midRunLogs) {
      expect(log).toMatchObject({ outcome: 'queued', holderRunId: holderRun.runId, resolution: { outcome: 'followed-up', runId: followUp.runId } });
    }
    const finalized = (await local.events.read()).find((e) => e.detail.runId === holderRun.runId);
    expect(finalized?.detail).toMatchObject({ followUpRunId: followUp.runId, followUpTriggers: 3 });
    expect(await local.lock()).toBeUndefined();
  });

  it('lets the next trigger take over the lock of a holder whose execution was aborted', async () => {
    const runsBefore = await local.runs();
    await local.upload('raw/takeover/first.csv', dataset(300, 200));
    await local.settle({ advanceTime: false }); // the new-data run waits for its quiet period
    const holder = runningExecution(local);
    expect(holder.blockedOn).toBe('timer');
    const holderRun = await runOf(local, holder);
    expect((await local.lock())?.data.runId).toBe(holderRun.runId);

    local.stateMachine.abort(holder.name);
    local.advance(30);
    await local.upload('raw/takeover/second.csv', dataset(301, 200));
    await local.settle({ advanceTime: false });

    const lock = await local.lock();
    expect(holder.status).toBe('ABORTED');
    expect(lock?.data).toMatchObject({ previousRunId: holderRun.runId, trigger: { type: 'new-data', detail: { key: 'raw/takeover/second.csv' } } });
    await local.settle();
    const takeover = (await runsSince(local, runsBefore)).find((r) => r.runId !== holderRun.runId);
    expect(takeover).toMatchObject({ runId: lock?.data.runId, trigger: { detail: { key: 'raw/takeover/second.csv' } } });
    expect(['deployed', 'rejected']).toContain(takeover?.status);
    const log = (await local.triggers()).find((l) => l.trigger.detail.key === 'raw/takeover/second.csv');
    expect(log).toMatchObject({ outcome: 'started', runId: takeover?.runId });
    expect(await local.lock()).toBeUndefined();
  });

  it('answers a redelivered event (the same EventBridge id) as a duplicate', async () => {
    const runsBefore = await local.runs();
    const event = objectCreatedEvent(local, 'raw/takeover/second.csv', 'redelivered-event-1');

    await local.bus.emit(event);
    await local.bus.emit(event);
    await local.settle();

    const executions = executionsWhere(local, (input) => (input.trigger as { eventId?: string } | undefined)?.eventId === 'redelivered-event-1');
    expect(executions).toHaveLength(2);
    const duplicate = executions.filter((e) => admissionOf(e)?.outcome === 'duplicate');
    expect(duplicate).toHaveLength(1);
    const first = executions.find((e) => e !== duplicate[0])!;
    const run = await newRun(local, runsBefore);
    expect(run.executionArn).toBe(first.arn);
    const logs = (await local.triggers()).filter((l) => l.trigger.eventId === 'redelivered-event-1');
    expect(logs).toEqual([expect.objectContaining({ outcome: 'started', runId: run.runId, executionArn: first.arn })]);
  });

  it('answers drift and degradation alarms within the cooldown with cooldown, starting no run', async () => {
    const runsBefore = await local.runs();
    const lastEnded = runsBefore.map((r) => r.endedAt ?? '').sort().pop()!;
    local.advance(10 * 60);

    const changes = await monitorsReport(local, ['DriftDetected', 'QualityDegraded']);
    await local.settle();

    expect(changes.filter((c) => c.to === 'ALARM').map((c) => c.alarm).sort()).toEqual([local.names.alarms.drift, local.names.alarms.quality].sort());
    expect(await runsSince(local, runsBefore)).toEqual([]);
    const alarmLogs = (await local.triggers()).filter((l) => l.trigger.type === 'drift' || l.trigger.type === 'degradation');
    expect(alarmLogs.map((l) => l.trigger.type).sort()).toEqual(['degradation', 'drift']);
    const cooldownUntil = new Date(Date.parse(lastEnded) + 60 * 60_000).toISOString();
    for (const log of alarmLogs) expect(log).toMatchObject({ outcome: 'cooldown', cooldownUntil });
  });
});
