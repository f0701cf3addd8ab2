/**
 * A burst far beyond what one item or one execution input can list: 5,000 "Object Created"
 * events while a run trains. Every trigger must end in exactly one outcome and one resolution,
 * exactly one follow-up run must answer the ones the holder's snapshot did not cover, and no
 * state item, state input/output or event may exceed what AWS accepts (DynamoDB 400 KB items;
 * Step Functions 256 KiB payloads, which local mode enforces as States.DataLimitExceeded;
 * EventBridge 256 KB entries, which the publisher enforces): lambdas/core/aws-limits.ts.
 */
import { KEYS, type RunRecord } from '../../lambdas/core/admission';
import { DYNAMODB_ITEM_BYTES, STATE_PAYLOAD_BYTES, dynamoDbItemBytes } from '../../lambdas/core/aws-limits';
import type { LocalRetrain } from '../../local/runner';
import type { ExecutionRecord } from '../../local/state-machine';
import { dataset } from '../helpers/local';
import { finishAndClose, openWithTrainingHook } from '../helpers/local-scenarios';

const BURST = 5_000;
/** About 40 s on a 2-core machine: every upload is a file, an event, an execution and an Admit. */
const TIMEOUT_MS = 240_000;

describe('a burst of 5,000 uploads while a run trains', () => {
  let local: LocalRetrain;
  /** Schedules work for when the next Train task starts (the run is past its data snapshot then). */
  let duringTraining: (work: () => Promise<void>) => void;

  beforeAll(async () => {
    ({ local, duringNextTraining: duringTraining } = await openWithTrainingHook());
  });

  afterAll(async () => {
    await finishAndClose(local);
  });

  it('answers every trigger exactly once with one follow-up run, within every AWS size limit', async () => {
    const burstExecutions: ExecutionRecord[] = [];
    duringTraining(async () => {
      local.advance(60); // past the holder's snapshot: none of these is covered by it
      const before = new Set(local.stateMachine.executions.keys());
      for (let i = 0; i < BURST; i++) await local.upload(`raw/burst/part-${String(i).padStart(5, '0')}.csv`, dataset(1000 + i, 2));
      burstExecutions.push(...[...local.stateMachine.executions.values()].filter((e) => !before.has(e.name)));
      await Promise.all(burstExecutions.map((e) => e.done));
    });

    await local.upload('raw/base/first.csv', dataset(7, 300));
    await local.settle();

    expect(burstExecutions).toHaveLength(BURST);
    const runs: RunRecord[] = await local.runs();
    expect(runs).toHaveLength(2);
    const [holder, followUp] = runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(followUp).toMatchObject({ triggerCount: BURST, triggerTypes: ['new-data'] });
    expect(followUp.triggers).toHaveLength(10);
    expect(holder.status).toBe('deployed');
    expect(['deployed', 'rejected']).toContain(followUp.status);

    const logs = await local.triggers();
    const burstLogs = logs.filter((l) => String(l.trigger.detail.key).startsWith('raw/burst/'));
    expect(burstLogs).toHaveLength(BURST);
    expect(new Set(burstLogs.map((l) => l.trigger.eventId)).size).toBe(BURST);
    for (const log of burstLogs) {
      expect(log).toMatchObject({ outcome: 'queued', holderRunId: holder.runId, resolution: { outcome: 'followed-up', runId: followUp.runId } });
    }
    expect(await local.lock()).toBeUndefined();
    expect(await local.pending()).toEqual([]);

    const finalized = (await local.events.read()).find((e) => e.detail.runId === holder.runId);
    expect(finalized?.detail).toMatchObject({ followUpRunId: followUp.runId, followUpTriggers: BURST });

    // The partitions a burst grows (and the lock), item by item, as DynamoDB counts their size.
    const items = (
      await Promise.all([KEYS.runPk, KEYS.triggerPk, KEYS.pendingPk, KEYS.carriedPk(followUp.runId), KEYS.lock.pk].map((pk) => local.state.query(pk)))
    ).flat();
    expect(items.length).toBeGreaterThan(2 * BURST);
    const largestItem = Math.max(...items.map((item) => dynamoDbItemBytes({ ...item })));
    expect(largestItem).toBeLessThan(DYNAMODB_ITEM_BYTES / 10);
    expect(local.stateMachine.largestPayload.bytes).toBeLessThan(STATE_PAYLOAD_BYTES / 10);
    expect(local.stateMachine.largestPayload.bytes).toBeGreaterThan(0);
  }, TIMEOUT_MS);
});
