/**
 * `npm run soak`: many more fault schedules than `npm test` plays (test/property/faults.test.ts),
 * with a fresh seed unless one is given.
 *
 *   npm run soak -- [--runs 5000] [--seed 42] [--strict]
 *   (or SOAK_RUNS / SOAK_SEED in the environment)
 *
 * Prints how many schedules ran, the triggers and faults injected by kind, the reported bugs hit
 * (test/property/known-bugs.ts) and the worst case seen (most triggers in one schedule, the
 * longest chain of follow-up runs, the largest state item and execution input). Exits 1 on any
 * other violation — and with --strict on a reported bug too — after printing the shrunk schedule
 * and the seed and path that replay it.
 */
import fc from 'fast-check';
import { describeStep, runSchedule, scheduleArb, ScheduleViolation, type Schedule, type ScheduleReport } from '../helpers/fault-schedule';
import { knownBug, KNOWN_BUGS } from './known-bugs';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`soak: --${name} expects a positive integer, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  const runs = positiveInt(flag('runs') ?? process.env.SOAK_RUNS, 'runs', 5000);
  const seed = positiveInt(flag('seed') ?? process.env.SOAK_SEED, 'seed', Date.now() % 2_147_483_647);
  const strict = process.argv.includes('--strict');
  console.log(`soak: ${runs} fault schedules, seed ${seed}${strict ? ', strict' : ''}`);

  const started = Date.now();
  const faults: Record<string, number> = {};
  const known: Record<string, number> = {};
  const worst = { triggers: 0, runs: 0, followUpChain: 0, itemBytes: 0, inputBytes: 0 };
  const worstSchedules: Partial<Record<keyof typeof worst, Schedule>> = {};
  let played = 0;
  let slowest = { ms: 0, schedule: [] as Schedule };

  const note = (schedule: Schedule, report: ScheduleReport, ms: number) => {
    played++;
    for (const [kind, n] of Object.entries(report.faults)) faults[kind] = (faults[kind] ?? 0) + n;
    for (const id of report.known ?? []) known[id] = (known[id] ?? 0) + 1;
    const measures: Record<keyof typeof worst, number> = {
      triggers: report.triggers,
      runs: report.runs,
      followUpChain: report.longestFollowUpChain,
      itemBytes: report.maxItemBytes,
      inputBytes: report.maxExecutionInputBytes,
    };
    for (const key of Object.keys(worst) as Array<keyof typeof worst>) {
      if (measures[key] > worst[key]) {
        worst[key] = measures[key];
        worstSchedules[key] = schedule;
      }
    }
    if (ms > slowest.ms) slowest = { ms, schedule };
    if (played % 250 === 0) console.log(`  ${played} schedules, ${((Date.now() - started) / played).toFixed(0)} ms each`);
  };

  const result = await fc.check(
    fc.asyncProperty(scheduleArb, async (schedule) => {
      const t0 = Date.now();
      const report = await runSchedule(schedule, strict ? {} : { known: knownBug });
      note(schedule, report, Date.now() - t0);
    }),
    { seed, numRuns: runs },
  );

  const elapsed = Date.now() - started;
  console.log(`\nsoak: ${result.numRuns} schedules passed${result.failed ? ` before the failing one (${played} played, shrinking included)` : ''}, ${played} played in ${(elapsed / 1000).toFixed(1)} s (${(elapsed / Math.max(1, played)).toFixed(0)} ms each, shrinking included)`);
  console.log('triggers and faults injected, by kind:');
  for (const [kind, n] of Object.entries(faults).sort()) console.log(`  ${kind.padEnd(24)} ${n}`);
  console.log('reported bugs hit (schedules):');
  for (const bug of KNOWN_BUGS) console.log(`  ${bug.id.padEnd(28)} ${known[bug.id] ?? 0}`);
  console.log('worst case:');
  for (const key of Object.keys(worst) as Array<keyof typeof worst>) {
    console.log(`  ${key.padEnd(14)} ${worst[key]}${worstSchedules[key] ? `  ← ${worstSchedules[key]!.map(describeStep).join(' | ')}` : ''}`);
  }
  console.log(`  slowest        ${slowest.ms} ms  ← ${slowest.schedule.map(describeStep).join(' | ')}`);

  if (result.failed) {
    const error = result.errorInstance;
    console.error(`\nsoak: VIOLATION (seed ${result.seed}, path ${result.counterexamplePath}, ${result.numShrinks} shrinks)`);
    console.error('shrunk schedule:');
    for (const step of result.counterexample?.[0] ?? []) console.error(`  - ${describeStep(step)}`);
    console.error(`as JSON: ${JSON.stringify(result.counterexample?.[0])}`);
    console.error(error instanceof ScheduleViolation ? error.message : String(error instanceof Error ? (error.stack ?? error.message) : error));
    process.exit(1);
  }
  console.log('\nsoak: every invariant held');
  process.exit(0);
}

void main();
