/**
 * Bugs the fault schedules found and that are reported, not yet fixed (the lead owns
 * lambdas/core/admission.ts and finalize.ts). A schedule that runs into one ends there and is
 * counted, not failed; each has a named regression test in regressions.test.ts marked
 * `it.failing`, so fixing the bug makes that test fail until both the `.failing` and the entry
 * here are removed.
 */
import type { InvariantViolation } from '../helpers/invariants';

export interface KnownBug {
  readonly id: string;
  /** What breaks, in one line. */
  readonly summary: string;
  readonly matches: (violation: InvariantViolation) => boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    id: 'endpoint-ahead-of-champion',
    summary:
      'a run that fails or stops after Deploy started the endpoint update (Describe endpoint or Promote champion fails, times out or is stopped) leaves the endpoint serving the candidate while the champion pointer still names the old model (or none)',
    matches: (v) => v.invariant === 'champion-serves' && /but no champion is recorded|; the champion is /.test(v.detail),
  },
  {
    id: 'redrive-without-lock',
    summary:
      'an execution stopped (or timed out) mid-run loses its lock to the next trigger; redriven, it continues from where it stopped and prepares, trains and registers a package without holding the lock, next to the run that does (Deploy refuses it with LockLostError, so it never changes what the endpoint serves; the steps before Deploy are SageMaker tasks that cannot check the lock)',
    matches: (v) => v.invariant === 'one-lock-holder' && /does pipeline work/.test(v.detail),
  },
];

/** The id of the reported bug a violation is, if any. */
export function knownBug(violation: InvariantViolation): string | undefined {
  return KNOWN_BUGS.find((bug) => bug.matches(violation))?.id;
}
