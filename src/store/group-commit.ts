// The SQLite engine's group commit: the coordinator's writes of one turn of
// the event loop share one transaction. A batch is fsynced when any write in
// it must be durable before its caller goes on (a decision); the rest ride
// along, and a later fsync covers them too.
import { Batcher } from "../lib/batcher";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { timedPhase } from "../lib/phase-timing";
import type { Store } from "./store";

interface Write {
  run: () => unknown;
  durable: boolean;
}

export class GroupCommit {
  private readonly batcher: Batcher<Write, unknown>;

  constructor(store: Store) {
    this.batcher = new Batcher(
      (batch) => store.transaction(() => batch.map((write) => write.run()), batch.some((write) => write.durable) ? "full" : "normal"),
      {
        itemsMax: limits.writesPerTransactionMax,
        inFlightMax: 1,
        queuedMax: limits.writesQueuedMax,
        whenFull: () => new AppError(Code.ResourceExhausted, "the gateway is busy; try again shortly"),
        spacing: { ms: limits.writeBatchSpacingMs, afterItems: limits.writeBatchSpacingAfterItems },
      },
    );
  }

  /** Told the number of writes in each transaction (metrics). */
  observeBatches(onBatch: (size: number) => void): void {
    this.batcher.onBatch = onBatch;
  }

  /** On disk (fsynced) when the promise resolves. */
  durable<T>(run: () => T): Promise<T> {
    return timedPhase("wait.write", () => this.batcher.submit({ run, durable: true }) as Promise<T>);
  }

  /**
   * Written (visible, and safe from a process crash) but fsynced only with
   * the next durable write. For what presumed abort or a resend makes safe to
   * lose in a power cut: a claim with no decision, a phase-two mark.
   */
  unsynced<T>(run: () => T): Promise<T> {
    return timedPhase("wait.write", () => this.batcher.submit({ run, durable: false }) as Promise<T>);
  }
}
