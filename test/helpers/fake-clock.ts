import type { Clock } from '../../lambdas/adapters/ports';

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: string | Date = '2026-11-27T12:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}
