/**
 * Retrain's promise under random fault schedules, in local mode (the synthesized state machine
 * with its own Retry and Catch policies): every trigger ends in exactly one recorded outcome,
 * none is lost, at most one run holds the pipeline lock, the champion keeps serving, and users'
 * data is never touched — checked after every step of every schedule (test/helpers/invariants.ts).
 *
 * The seed is fixed so CI always plays the same schedules; on a failure fast-check prints the
 * seed, the path and the shrunk schedule, and `FAULTS_SEED=<seed> FAULTS_PATH=<path>` replays it.
 * `npm run soak` plays thousands more with fresh seeds.
 */
import fc from 'fast-check';
import { runSchedule, scheduleArb, type ScheduleReport } from '../helpers/fault-schedule';
import { knownBug } from './known-bugs';

const SEED = Number(process.env.FAULTS_SEED ?? 20260302);
const RUNS = Number(process.env.FAULTS_RUNS ?? 200);

function tally(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

describe('faults: invariants under random schedules', () => {
  it(`hold after every step of ${RUNS} seeded schedules (seed ${SEED})`, async () => {
    const reports: ScheduleReport[] = [];
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        reports.push(await runSchedule(schedule, { known: knownBug }));
      }),
      { seed: SEED, numRuns: RUNS, ...(process.env.FAULTS_PATH ? { path: process.env.FAULTS_PATH } : {}) },
    );

    // The schedules did what they are for: runs, redeliveries and faults of every kind.
    const count = (key: string) => reports.reduce((sum, r) => sum + (r.faults[key] ?? 0), 0);
    expect(reports).toHaveLength(RUNS);
    expect(reports.reduce((sum, r) => sum + r.runs, 0)).toBeGreaterThan(RUNS);
    const kinds = ['redelivery', 'mid-run delivery', 'lambda-error', 'lambda-timeout', 'throttle', 'training-fails', 'health-check-fails', 'abort', 'write-fails:Admit', 'write-fails:Finalize', 'redrive'];
    const injected = Object.fromEntries(kinds.map((kind) => [kind, count(kind)]));
    console.log(`fault schedules: ${RUNS} played, faults injected ${JSON.stringify(injected)}, reported bugs hit ${JSON.stringify(tally(reports.flatMap((r) => r.known ?? [])))}`);
    expect(Object.fromEntries(kinds.map((kind) => [kind, injected[kind] > 0]))).toEqual(Object.fromEntries(kinds.map((kind) => [kind, true])));
  }, 600_000);
});
