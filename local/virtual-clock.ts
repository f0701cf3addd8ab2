/** A clock that only moves when told to: tests and local runs control time with it. */
import { InvalidInputError } from '../lambdas/core/errors';
import type { Clock } from '../lambdas/adapters/ports';

function toDate(time: Date | string | number): Date {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`not a valid time: ${String(time)}`, { context: { time } });
  return date;
}

export class VirtualClock implements Clock {
  private current: Date;

  /** @param start - the time the clock shows until it is set or advanced (a Date, an ISO string or epoch milliseconds). */
  constructor(start: Date | string | number) {
    this.current = toDate(start);
  }

  /** A new Date each call, so callers cannot move the clock by mutating it. */
  now(): Date {
    return new Date(this.current.getTime());
  }

  /** Jumps to a time, earlier or later. */
  set(time: Date | string | number): void {
    this.current = toDate(time);
  }

  /** Moves forward by `ms` milliseconds (a non-negative finite number). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidInputError(`advance takes a non-negative number of milliseconds, got ${ms}`, { context: { ms } });
    }
    this.current = new Date(this.current.getTime() + ms);
  }
}
