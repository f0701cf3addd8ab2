/**
 * Parsers of numeric options, shared by every command: commander calls them while it reads the
 * command line, so a bad value is one line (`error: option '--seed <n>' argument 'abc' is
 * invalid. expected …`) before anything runs. Numbers are decimal (parseDecimal: no "0x1f", no
 * empty string read as 0).
 */
import { InvalidArgumentError } from 'commander';
import { parseDecimal } from '../lambdas/core/encoding';

export function parsePositiveInteger(value: string): number {
  const n = parseDecimal(value);
  if (n === undefined || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function parseNonNegativeInteger(value: string): number {
  const n = parseDecimal(value);
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = parseDecimal(value);
  if (n === undefined || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/**
 * Longest timer delay Node.js honours, in seconds: "When delay is larger than 2147483647 or less
 * than 1, the delay will be set to 1" (Node.js docs, Timers, setTimeout/setInterval).
 */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

/** Seconds between two runs of a timer: positive, at most MAX_TIMER_SECONDS. */
export function parseTimerSeconds(value: string): number {
  const n = parsePositiveNumber(value);
  if (n > MAX_TIMER_SECONDS) throw new InvalidArgumentError(`expected at most ${MAX_TIMER_SECONDS} seconds, got "${value}"`);
  return n;
}
