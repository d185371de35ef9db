// The SQLite engine's group commit: the coordinator's writes of one turn of
// the event loop share one transaction. A batch is fsynced when any write in
// it must be durable before its caller goes on (a decision); the rest ride
// along, and a later fsync covers them too.
import { Batcher } from "../lib/batcher";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { timedPhase } from "../lib/phase-timing";
import { settle, settleGroup, unwrap, type Settled } from "./settle-group";
import { isDatabaseFailure, notRecorded, type Durability } from "./sqlite";
import type { Store } from "./store";

interface Write {
  run: () => unknown;
  durable: boolean;
}

const unrecordedErrors = new WeakSet<AppError>();

/** Whether a write failed because the database did (disk full, read-only, I/O), as GroupCommit said it. */
export function isUnrecorded(error: unknown): boolean {
  return error instanceof AppError && unrecordedErrors.has(error);
}

export class GroupCommit {
  private readonly batcher: Batcher<Write, Settled<unknown>>;

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
    const settled = await this.batcher.submit(write);
    // The database failed, not this write: said so (not "internal error"), and as something to send again.
    // This write was not recorded because the database failed (this batch rolled back); earlier writes of the same request were.
    const refused = settled.ok ? undefined : notRecorded(settled.error, "send it again with the same key later");
    if (refused) {
      unrecordedErrors.add(refused);
      throw refused;
    }
    return unwrap(settled) as T;
  }

  /**
   * One transaction for the batch. When a write fails (a constraint a bug
   * broke), the batch runs once more in one transaction with each write in
   * its own savepoint: the failing write is rolled back alone, its caller
   * gets its error, and the others are written with a single fsync. A
   * failure of the database itself fails the whole batch, in either pass:
   * SQLite may have rolled the transaction back, and a write run after that
   * would commit on its own while its caller is told it failed.
   */
  private commit(batch: Write[]): Promise<Settled<unknown>[]> {
    const durability = durabilityOf(batch);
    return settleGroup(batch, {
      together: (writes) => this.store.transaction(() => writes.map((write) => write.run()), durability),
      each: (writes) => this.store.transaction(() => writes.map((write) => this.inItsOwnSavepoint(write)), durability),
      sharedFailure: isDatabaseFailure,
    });
  }

  private inItsOwnSavepoint(write: Write): Settled<unknown> {
    const settled = settle(() => this.store.savepoint(write.run));
    // Gone with the transaction (SQLite rolled it all back), whatever the code it said it with.
    if (!settled.ok && (isDatabaseFailure(settled.error) || !this.store.inTransaction)) throw settled.error;
    return settled;
  }
}

function durabilityOf(batch: Write[]): Durability {
  return batch.some((write) => write.durable) ? "full" : "normal";
}
