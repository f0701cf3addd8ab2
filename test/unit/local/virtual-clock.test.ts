import { InvalidInputError } from '../../../lambdas/core/errors';
import { VirtualClock } from '../../../local/virtual-clock';

describe('virtual-clock', () => {
  it('shows the start time until it is moved', () => {
    const clock = new VirtualClock('2024-05-01T00:00:00.000Z');

    expect(clock.now().toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });

  it('accepts a Date or epoch milliseconds as the start', () => {
    expect(new VirtualClock(new Date(0)).now().getTime()).toBe(0);
    expect(new VirtualClock(1_000).now().getTime()).toBe(1_000);
  });

  it('advances by milliseconds', () => {
    const clock = new VirtualClock('2024-05-01T00:00:00.000Z');

    clock.advance(90_000);

    expect(clock.now().toISOString()).toBe('2024-05-01T00:01:30.000Z');
  });

  it('jumps to a time set, earlier or later', () => {
    const clock = new VirtualClock('2024-05-01T00:00:00.000Z');

    clock.set('2030-01-01T00:00:00.000Z');
    expect(clock.now().getUTCFullYear()).toBe(2030);
    clock.set(new Date('2020-01-01T00:00:00.000Z'));
    expect(clock.now().getUTCFullYear()).toBe(2020);
  });

  it('cannot be moved by mutating a date it returned', () => {
    const clock = new VirtualClock('2024-05-01T00:00:00.000Z');

    clock.now().setUTCFullYear(1999);

    expect(clock.now().getUTCFullYear()).toBe(2024);
  });

  it('rejects an invalid time and a negative or non-finite advance', () => {
    const clock = new VirtualClock(0);

    expect(() => new VirtualClock('not a date')).toThrow(InvalidInputError);
    expect(() => clock.set('nope')).toThrow(/not a valid time: nope/);
    expect(() => clock.advance(-1)).toThrow(InvalidInputError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(InvalidInputError);
  });
});
