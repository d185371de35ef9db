// Groups concurrent requests into batches: one SQLite transaction (one fsync)
// or one RPC for many payments. Items submitted while a batch is in flight
// wait for the next one, so batches grow with load and stay at one item when idle.
// The queue is bounded: past `queuedMax` waiting items a submit is refused at
// once with the owner's error, before anything of it is done, so a part that
// stops answering cannot make the queue grow without end.
import { assert } from "./assert";

export interface BatcherOptions {
  itemsMax: number;
  inFlightMax: number;
  /** Items waiting for a batch at most (those in a batch under way not counted). */
  queuedMax: number;
  /** The error a submit is refused with when `queuedMax` items wait: the owner's words and code. */
  whenFull: () => Error;
  /**
   * Under load (the last batch held at least `afterItems`), the least time
   * between the starts of two batches: a batch then gathers a few turns of
   * the event loop instead of one (fewer, larger batches: fewer fsyncs).
   * A lightly loaded batcher still starts the next batch at once.
   */
  spacing?: { ms: number; afterItems: number };
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class Batcher<T, R> {
  private queue: Waiting<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private lastStartAtMs = -Infinity;
  private lastSize = 0;
  /** Told each batch's size as it starts (metrics); unset, it costs nothing. */
  onBatch: ((size: number) => void) | undefined;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]> | R[],
    private readonly options: BatcherOptions,
  ) {
    assert(options.itemsMax >= 1, "batch itemsMax >= 1");
    assert(options.inFlightMax >= 1, "batch inFlightMax >= 1");
    assert(options.queuedMax >= 1, "batch queuedMax >= 1");
  }

  submit(item: T): Promise<R> {
    if (this.queue.length >= this.options.queuedMax) return Promise.reject(this.options.whenFull());
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.pump();
    };
    const spacing = this.options.spacing;
    const waitMs = spacing && this.lastSize >= spacing.afterItems ? this.lastStartAtMs + spacing.ms - performance.now() : 0;
    // setImmediate, not a microtask: every request that arrived in this turn
    // of the event loop joins the batch.
    if (waitMs <= 0) setImmediate(go);
    else setTimeout(go, waitMs);
  }

  private pump(): void {
    while (this.inFlight < this.options.inFlightMax && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.itemsMax);
      this.inFlight += 1;
      this.lastStartAtMs = performance.now();
      this.lastSize = batch.length;
      this.onBatch?.(batch.length);
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((w) => w.item));
      assert(results.length === batch.length, "a batch answers every item");
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
