/** The wall clock, for the Lambdas. Tests and local mode inject their own Clock instead. */
import type { Clock } from './ports';

export const systemClock: Clock = {
  now: () => new Date(),
};
