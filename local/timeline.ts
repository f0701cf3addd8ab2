/**
 * Virtual time with timers, so local mode simulates hours (a debounce window, monitor windows,
 * cooldowns) in seconds and the same scenario always unfolds the same way. Work waits with
 * `sleep`; whoever drives the run moves time with `advanceTo`, or `advanceToNextTimer` when
 * everything is waiting.
 */
import { VirtualClock } from './virtual-clock';

interface Timer {
  readonly at: number;
  readonly resolve: () => void;
  readonly seq: number;
}

export class Timeline {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(readonly clock: VirtualClock) {}

  /** Resolves when virtual time reaches now + seconds. */
  sleep(seconds: number): Promise<void> {
    if (!(seconds > 0)) return Promise.resolve();
    const at = this.clock.now().getTime() + seconds * 1000;
    return new Promise((resolve) => {
      this.timers.push({ at, resolve, seq: this.seq++ });
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    });
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward to `time`, waking every timer due on the way, in order. */
  advanceTo(time: Date): void {
    const target = time.getTime();
    while (this.timers.length > 0 && this.timers[0].at <= target) {
      const timer = this.timers.shift()!;
      if (timer.at > this.clock.now().getTime()) this.clock.set(timer.at);
      timer.resolve();
    }
    if (target > this.clock.now().getTime()) this.clock.set(target);
  }

  advanceBy(seconds: number): void {
    this.advanceTo(new Date(this.clock.now().getTime() + seconds * 1000));
  }

  /** Jumps to the earliest timer; false when none waits. */
  advanceToNextTimer(): boolean {
    const next = this.timers[0];
    if (!next) return false;
    this.advanceTo(new Date(Math.max(next.at, this.clock.now().getTime())));
    return true;
  }
}
