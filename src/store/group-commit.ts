// The SQLite engine's group commit: the coordinator's writes of one turn of
// the event loop share one transaction. A batch is fsynced when any write in
// it must be durable before its caller goes on (a decision); the rest ride
// along, and a later fsync covers them too.
import { Batcher } from "../lib/batcher";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { timedPhase } from "../lib/phase-timing";
import type { Durability } from "./sqlite";
import type { Store } from "./store";

interface Write {
  run: () => unknown;
  durable: boolean;
}

/** What one write came to: its caller alone gets its error. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private readonly batcher: Batcher<Write, Outcome>;

  constructor(private readonly store: Store) {
    this.batcher = new Batcher((batch) => this.commit(batch), {
      itemsMax: limits.writesPerTransactionMax,
      inFlightMax: 1,
      queuedMax: limits.writesQueuedMax,
      whenFull: () => new AppError(Code.ResourceExhausted, "the gateway is busy; try again shortly"),
      spacing: { ms: limits.writeBatchSpacingMs, afterItems: limits.writeBatchSpacingAfterItems },
    });
  }

  /** Told the number of writes in each transaction (metrics). */
  observeBatches(onBatch: (size: number) => void): void {
    this.batcher.onBatch = onBatch;
  }

  /** On disk (fsynced) when the promise resolves. */
  durable<T>(run: () => T): Promise<T> {
    return timedPhase("wait.write", () => this.submit<T>({ run, durable: true }));
  }

  /**
   * Written (visible, and safe from a process crash) but fsynced only with
   * the next durable write. For what presumed abort or a resend makes safe to
   * lose in a power cut: a claim with no decision, a phase-two mark.
   */
  unsynced<T>(run: () => T): Promise<T> {
    return timedPhase("wait.write", () => this.submit<T>({ run, durable: false }));
  }

  private async submit<T>(write: Write): Promise<T> {
    const outcome = await this.batcher.submit(write);
    if (!outcome.ok) throw outcome.error;
    return outcome.value as T;
  }

  private commit(batch: Write[]): Outcome[] {
    try {
      const values = this.store.transaction(() => batch.map((write) => write.run()), durabilityOf(batch));
      return values.map((value) => ({ ok: true, value }));
    } catch (error) {
      if (batch.length === 1) return [{ ok: false, error }];
      // One write failed (a constraint a bug broke, a disk error) and took
      // its group's transaction with it: each write runs again alone, so the
      // others are written and only the failing write's caller sees its error.
      return batch.map((write) => this.commitAlone(write));
    }
  }

  private commitAlone(write: Write): Outcome {
    try {
      return { ok: true, value: this.store.transaction(write.run, durabilityOf([write])) };
    } catch (error) {
      return { ok: false, error };
    }
  }
}

function durabilityOf(batch: Write[]): Durability {
  return batch.some((write) => write.durable) ? "full" : "normal";
}
