/**
 * The evaluation gate (DESIGN.md section 5): the candidate passes when its metric meets the
 * configured minimum (in the metric's direction) AND there is no champion or it beats the
 * champion by at least `minImprovement` in that direction. The first run has no champion, so
 * only the minimum applies. A candidate value that is not a finite number never passes.
 */
import { InvalidInputError } from './errors';
import type { GateDecision } from './types';

export interface GateInput {
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly candidate: number;
  /** The champion's value on the same test rows; undefined on the first run. */
  readonly champion?: number;
  /** Absolute bar: at least this when maximizing, at most this when minimizing. */
  readonly minimum?: number;
  /** How much better than the champion the candidate must be (≥ 0). */
  readonly minImprovement: number;
}

/**
 * Differences are compared with this tolerance (relative to the values, at least absolute), so
 * that 0.912 − 0.907 counts as an improvement of 0.005 despite floating point.
 */
const TOLERANCE = 1e-12;

export function decide(input: GateInput): GateDecision {
  validate(input);
  const { metric, direction, candidate, champion, minimum, minImprovement } = input;
  const decision = (passed: boolean, reason: string): GateDecision => ({
    passed,
    metric,
    direction,
    candidate,
    ...(champion !== undefined && Number.isFinite(champion) ? { champion } : {}),
    ...(minimum === undefined ? {} : { minimum }),
    minImprovement,
    reason,
  });
  const maximize = direction === 'maximize';

  if (!Number.isFinite(candidate)) {
    return decision(false, `${metric} of the candidate is ${candidate} (not a finite number), so it cannot pass`);
  }
  if (champion !== undefined && !Number.isFinite(champion)) {
    throw new InvalidInputError(`gate: champion: the champion's ${metric} is ${champion}, not a finite number to compare with`, {
      context: { input },
    });
  }

  if (minimum !== undefined) {
    const meets = maximize ? candidate >= minimum - tolerance(candidate, minimum) : candidate <= minimum + tolerance(candidate, minimum);
    if (!meets) {
      return decision(
        false,
        maximize
          ? `${metric} ${fmt(candidate)} is below the minimum ${fmt(minimum)}`
          : `${metric} ${fmt(candidate)} is above the limit ${fmt(minimum)} (${metric} must be at most ${fmt(minimum)})`,
      );
    }
  }
  const meetsMinimum = maximize ? 'meets the minimum' : 'is within the limit';
  const minimumNote = minimum === undefined ? '' : ` and ${meetsMinimum} ${fmt(minimum)}`;

  if (champion === undefined) {
    return decision(
      true,
      minimum === undefined
        ? `${metric} ${fmt(candidate)}: there is no champion yet (first run) and no minimum is configured`
        : `${metric} ${fmt(candidate)} ${meetsMinimum} ${fmt(minimum)} and there is no champion yet (first run)`,
    );
  }

  const improvement = maximize ? candidate - champion : champion - candidate;
  const needed = `needed ${fmt(minImprovement)}${maximize ? '' : ' lower'}`;
  if (improvement >= minImprovement - tolerance(candidate, champion)) {
    const comparison =
      Math.abs(improvement) <= tolerance(candidate, champion)
        ? `equals the champion's ${fmt(champion)} (${needed})`
        : `beats the champion's ${fmt(champion)} by ${fmt(improvement)} (${needed})`;
    return decision(true, `${metric} ${fmt(candidate)} ${comparison}${minimumNote}`);
  }
  if (improvement > 0) {
    return decision(false, `${metric} ${fmt(candidate)} beats the champion's ${fmt(champion)} by only ${fmt(improvement)} (${needed})`);
  }
  return decision(
    false,
    `${metric} ${fmt(candidate)} does not improve on the champion's ${fmt(champion)} ` +
      `(needed ${fmt(minImprovement)} ${maximize ? 'higher' : 'lower'})`,
  );
}

function validate(input: GateInput): void {
  const problems: string[] = [];
  if (typeof input.metric !== 'string' || input.metric === '') problems.push('metric: expected a metric name');
  if (input.direction !== 'maximize' && input.direction !== 'minimize') {
    problems.push(`direction: expected "maximize" or "minimize", got ${JSON.stringify(input.direction)}`);
  }
  if (!(Number.isFinite(input.minImprovement) && input.minImprovement >= 0)) {
    problems.push(`minImprovement: expected a finite number ≥ 0, got ${input.minImprovement}`);
  }
  if (input.minimum !== undefined && !Number.isFinite(input.minimum)) {
    problems.push(`minimum: expected a finite number, got ${input.minimum}`);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(`gate: ${problems.join('; ')}`, { context: { input } });
  }
}

function tolerance(a: number, b: number): number {
  return TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/** A number for people: at most 6 significant digits, without floating-point noise (0.025, not 0.025000000000000022). */
function fmt(value: number): string {
  return String(Number(value.toPrecision(6)));
}
