// A clock a test moves by hand: nowMs() stands still until advanced, and
// timers set with after() fire only when time is moved past them, in order.
// What the gateway times on its injected clock (the prepare timeout) then
// runs without waiting for it.
import type { Clock } from "../../src/lib/clock";

interface Timer {
  dueAtMs: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private currentAtMs: number;
  private timers: Timer[] = [];

  constructor(startAtMs = Date.now()) {
    this.currentAtMs = startAtMs;
  }

  nowMs(): number {
    return this.currentAtMs;
  }

  after(durationMs: number, fn: () => void): () => void {
    const timer = { dueAtMs: this.currentAtMs + Math.max(0, durationMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers set and not yet fired nor cancelled. */
  get timersWaiting(): number {
    return this.timers.length;
  }

  /** Moves time forward by `durationMs`, firing every timer due by then, earliest first. */
  advance(durationMs: number): void {
    const untilAtMs = this.currentAtMs + durationMs;
    for (let fired = 0; fired < 10_000; fired++) {
      const next = this.timers.reduce<Timer | undefined>((earliest, t) => (!earliest || t.dueAtMs < earliest.dueAtMs ? t : earliest), undefined);
      if (!next || next.dueAtMs > untilAtMs) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.currentAtMs = next.dueAtMs;
      next.fn();
    }
    this.currentAtMs = untilAtMs;
  }

  /**
   * Until `promise` settles: moves time to the next timer, then lets real
   * work (I/O, the other processes) go on a few milliseconds; at most `stepsMax` times.
   */
  async runUntil<T>(promise: Promise<T>, stepsMax = 200): Promise<T> {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let step = 0; step < stepsMax && !settled; step++) {
      const next = Math.min(...this.timers.map((t) => t.dueAtMs));
      if (Number.isFinite(next)) this.advance(next - this.currentAtMs);
      await Bun.sleep(20);
    }
    return promise;
  }
}
