/**
 * Fault schedules, shrunk by fast-check from failures of test/property/faults.test.ts or
 * `npm run soak`, kept as named regressions. Each plays in a fresh local mode and must end with
 * every invariant holding (test/helpers/invariants.ts), no reported bug tolerated.
 *
 * `it.failing`: a reported bug (test/property/known-bugs.ts) the schedule still runs into; the
 * test starts failing once the bug is fixed — then drop `.failing` and the known-bugs entry.
 */
import { runSchedule, ScheduleViolation, type Schedule } from '../helpers/fault-schedule';
import { knownBug } from './known-bugs';

/** Plays the schedule with no bug tolerated; the faults it names must have been injected as many times. */
async function expectInvariantsHold(schedule: Schedule, injected: Record<string, number>): Promise<void> {
  const report = await runSchedule(schedule);
  expect(report.violations).toEqual([]);
  expect(report.faults).toMatchObject(injected);
}

/** A schedule that once broke an invariant (its bug is fixed): every invariant holds now. */
async function expectNoViolation(schedule: Schedule): Promise<void> {
  const report = await runSchedule(schedule);
  expect(report.violations).toEqual([]);
}

/**
 * For `it.failing`: throws only when the schedule breaks exactly the named bug's invariant. Any
 * other outcome — the bug fixed, or another violation or error — returns, so `it.failing`
 * reports it ("passed even though it was supposed to fail"); the other error is logged.
 */
async function expectOnlyBug(bug: string, schedule: Schedule): Promise<void> {
  try {
    await runSchedule(schedule);
  } catch (error) {
    if (error instanceof ScheduleViolation && error.violations.every((v) => knownBug(v) === bug)) throw error;
    console.error(`expected only bug ${bug}, got:`, error);
  }
}

describe('faults: regressions (shrunk schedules)', () => {
  // Fixed: admitTrigger replays a trigger that has a resolution as `queued`, and a retried Admit
  // queues the same PENDING item (named by the first delivery's time) and deletes it when it
  // starts the run itself.
  // Bug resolved-trigger-restarted (lambdas/core/admission.ts, admitTrigger → tryAcquireOrQueue):
  // the second trigger's Admit writes its TRIGGER item (write 1), fails to create the lock (2),
  // writes its PENDING item (3) and times out on settling `queued` (4); the execution fails with
  // the trigger logged without an outcome. The holder's release finds the PENDING item and
  // resolves it `covered`. Redriven, the Admit sees its own unsettled log item ("retry"), finds the
  // lock free and starts a run: the trigger is answered twice (outcome started + resolution covered).
  it('answers a trigger once when its Admit dies between queueing and recording `queued`', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Admit', afterWrites: 4, error: 'States.Timeout' } },
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
    ]);
  });

  // The same bug, found by `npm run soak` (seed 777, path 3:6:9): a dry run queued during Prepare
  // data whose Admit dies the same way is carried by the holder's follow-up dry run, so its log
  // item has a resolution and no outcome until the redrive.
  it('records an outcome for a trigger carried by a follow-up while its Admit waits for a redrive', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Admit', afterWrites: 4, error: 'States.Timeout' } },
      { kind: 'during', state: 'Prepare data', triggers: [{ kind: 'dry-run' }] },
      { kind: 'redrive' },
    ]);
  });

  // Bug endpoint-ahead-of-champion (state machine: Describe endpoint / Promote champion → their
  // Catch → Finalize; lambdas/core/finalize.ts): Deploy created the endpoint, the poll's Lambda
  // times out (States.Timeout, not retried), the Catch goes to Finalize, which records the run
  // failed. The endpoint goes InService on the candidate anyway: it serves a model that is not
  // the recorded champion (here there is none), and nothing reconciles it.
  it.failing('keeps the endpoint on the champion when the deployment poll fails', async () => {
    await expectOnlyBug('endpoint-ahead-of-champion', [
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'lambda-timeout', state: 'Describe endpoint', phase: 'before' } },
      { kind: 'advance', seconds: 130 },
    ]);
  });

  // The same with a champion: a rollback run (back to the first package) is stopped after its
  // endpoint update, before Promote champion; the endpoint serves the rollback's endpoint config,
  // the champion pointer names the first run's.
  it.failing('keeps the endpoint on the champion when the run is stopped before Promote champion', async () => {
    await expectOnlyBug('endpoint-ahead-of-champion', [
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'advance', seconds: 130 },
      { kind: 'fault', fault: { kind: 'abort', state: 'Promote champion' } },
      { kind: 'deliver', triggers: [{ kind: 'rollback' }], copies: 1 },
    ]);
  });

  // Fixed: a retried release after the hand-over finishes answering what CARRIED#<follow-up> lists.
  // Bug resolution-rewritten (lambdas/core/admission.ts, releaseLock): the manual run's Finalize
  // hands the lock to a follow-up for the new-data trigger that arrived during Finalize (the dry
  // run stays pending), resolves it `followed-up` (write 4) and times out deleting its PENDING
  // item (write 5). Redriven, releaseLock sees `handedOverBy` = itself and only starts the
  // follow-up; the PENDING item survives and the follow-up's release resolves the trigger again.
  it('resolves a carried trigger once when Finalize dies before deleting its PENDING item', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'advance', seconds: 1900 },
      { kind: 'during', state: 'Finalize', triggers: [{ kind: 'dry-run' }, { kind: 'new-data' }] },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Finalize', afterWrites: 5, error: 'States.Timeout' } },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }], copies: 1 },
    ]);
  });

  // Bug redrive-without-lock (the lock protocol: lambdas/core/admission.ts and every pipeline
  // step): the first run is stopped in Train; an hour later new data arrives, its Admit finds the
  // holder ABORTED and takes the lock over (its run waits out the quiet period). Redriven, the
  // stopped execution continues at Train and prepares, trains, registers and deploys while the
  // other run holds the lock. Deploy now checks the lock (LockLostError), so it no longer
  // deploys; the work before it (prepare, train, register) still runs without the lock.
  it.failing('does no pipeline work in a redriven execution whose lock was taken over', async () => {
    await expectOnlyBug('redrive-without-lock', [
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'abort', state: 'Train' } },
      { kind: 'advance', seconds: 3700 },
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'redrive' },
    ]);
  });

  // Fixed: a retried Admit whose trigger started a run that lost the lock answers `duplicate`.
  // Bug started-outcome-rewritten (lambdas/core/admission.ts, admitTrigger: `recorded.kind ===
  // 'retry'` replays every outcome but `started`). Found by `npm run soak` (seed 4242, path
  // 3422:6:6:7:11:13:13:15:15:15:13). The manual trigger's Admit takes the lock and records
  // `started`, then times out (States.Timeout, no Retry, no Catch): its execution fails holding the
  // lock. The dry run takes the lock over; its Finalize times out on its first write. Redriven
  // at rest, the manual trigger's Admit competes for the lock again and settles `covered` over
  // `started`.
  it('keeps a started trigger started when its Admit is redriven after the lock was taken over', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'advance', seconds: 1900 },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Finalize', afterWrites: 1, error: 'States.Timeout' } },
      { kind: 'fault', fault: { kind: 'lambda-timeout', state: 'Admit', phase: 'after' } },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }], copies: 1 },
      { kind: 'deliver', triggers: [{ kind: 'dry-run' }], copies: 1 },
      { kind: 'advance', seconds: 1 },
    ]);
  });

  // Passing regressions: fault paths the schedules exercise, pinned.
  // Found by `npm run soak` (seed 20261204, path 727:2:8:9:10:10:10:12:12:12): a checker bug, not
  // a retrain bug. The holder was stopped in Check quiet period; the redrive step revived it
  // before the failed Admits were redriven, so they rightly queued behind a live holder, which
  // the check took for a dead one.
  // Found by `npm run soak` (seed 20261204, path 811:4:3:6:10:11:12:12). A follow-up run that
  // started and was then stopped (in Train) lost its lock to the next trigger, whose takeover
  // queued the follow-up's carried triggers again as if it had never started: they were answered
  // twice (followed-up, then covered). Only a follow-up that never started gives them back now.
  it('answers a carried trigger once when its follow-up started and was stopped', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'lambda-timeout', state: 'Check quiet period', phase: 'before' } },
      { kind: 'advance', seconds: 1 },
      { kind: 'fault', fault: { kind: 'abort', state: 'Train' } },
      { kind: 'deliver', triggers: [{ kind: 'new-data' }, { kind: 'degradation' }], copies: 1 },
      { kind: 'during', state: 'Check quiet period', triggers: [{ kind: 'new-data' }] },
    ]);
  });

  // Found by `npm run soak` (seed 20261205, path 629:2:4:6:8:8:8). The holder's Finalize resolved
  // a drift trigger `covered`, then timed out (States.Timeout, no Retry) before deleting its
  // PENDING item; the next holder answered the trigger again. A release now deletes, without
  // answering, a pending item whose trigger already has a resolution.
  it('answers a covered trigger once when Finalize dies before deleting its PENDING item', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Finalize', afterWrites: 4, error: 'States.Timeout' } },
      { kind: 'deliver', triggers: [{ kind: 'drift' }], copies: 2 },
      { kind: 'advance', seconds: 3700 },
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
    ]);
  });

  it('queues behind a holder that a redrive revived', async () => {
    await expectNoViolation([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'advance', seconds: 3700 },
      { kind: 'fault', fault: { kind: 'lambda-error', state: 'Admit', phase: 'before', times: 5 } },
      { kind: 'fault', fault: { kind: 'abort', state: 'Check quiet period' } },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }, { kind: 'new-data' }], copies: 2 },
      { kind: 'redrive' },
    ]);
  });

  it('answers redelivered events (same id) as duplicates, at the same instant as other triggers', async () => {
    await expectInvariantsHold([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }, { kind: 'schedule' }, { kind: 'drift' }], copies: 3 },
      { kind: 'advance', seconds: 130 },
    ], { redelivery: 6 });
  });

  it('lets the next trigger take over the lock of a run stopped mid-training', async () => {
    await expectInvariantsHold([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'abort', state: 'Train' } },
      { kind: 'advance', seconds: 130 },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }], copies: 1 },
    ], { abort: 1 });
  });

  it('finishes a Finalize whose state write was throttled part-way (Step Functions retries it)', async () => {
    await expectInvariantsHold([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'during', state: 'Train', triggers: [{ kind: 'manual', force: false }, { kind: 'dry-run' }] },
      { kind: 'fault', fault: { kind: 'write-fails', state: 'Finalize', afterWrites: 4, error: 'TransientError' } },
      { kind: 'advance', seconds: 130 },
    ], { 'mid-run delivery': 1, 'write-fails:Finalize': 1 });
  });

  it('absorbs SageMaker throttling within the Retry policy and fails the run cleanly beyond it', async () => {
    await expectInvariantsHold([
      { kind: 'deliver', triggers: [{ kind: 'new-data' }], copies: 1 },
      { kind: 'fault', fault: { kind: 'throttle', state: 'Train', times: 5 } },
      { kind: 'advance', seconds: 130 },
      // The definition's Retry has MaxAttempts 5, "the maximum number of retry attempts" (Amazon
      // States Language, Retrying after an error): six attempts, the sixth throttle is caught.
      { kind: 'fault', fault: { kind: 'throttle', state: 'CreateModel', times: 7 } },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }], copies: 1 },
      { kind: 'fault', fault: { kind: 'training-fails' } },
      { kind: 'deliver', triggers: [{ kind: 'manual', force: false }], copies: 1 },
    ], { throttle: 11, 'training-fails': 1 });
  });
});
