// The PostgreSQL engine's grouped statements: the claims, decisions,
// phase-two marks and session reads that arrive in one turn of the event
// loop (and while the last group is in flight) go to the server as ONE
// statement each, their values passed as arrays (`unnest`), so the text,
// and the server's prepared statement, is the same whatever the group's size.
// A statement, its round trip and its commit cost the server and this
// process about as much for one row as for a few dozen: on 2 cores those
// per-statement costs were most of a payment's CPU on PostgreSQL
// (docs/performance.md). As SQLite's group commit (group-commit.ts) does,
// a group answers each caller only with what its own row got.
import { Batcher } from "../lib/batcher";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { settleAsync, settleGroup, unwrap, type Settled } from "./settle-group";

export interface GroupOptions<T, R> {
  /** The whole group in one statement; an answer per item, in order. */
  together: (items: T[]) => Promise<R[]>;
  /**
   * One item on its own, when the group's statement failed for a reason
   * other than the connection (a constraint one row broke, say): that row's
   * caller gets the error, the others their answers, as without grouping.
   */
  alone: (item: T) => Promise<R>;
  /** The group's statement failed in a way every item shares (the database unreachable): no point in trying them one by one. */
  sharedFailure: (error: unknown) => boolean;
  /** Items waiting for a group at most; limits.databaseGroupQueuedMax unless a test sets a small one. */
  queuedMax?: number;
}

export class StatementGroup<T, R> {
  private readonly batcher: Batcher<T, Settled<R>>;

  constructor(private readonly options: GroupOptions<T, R>) {
    this.batcher = new Batcher((items) => this.run(items), {
      itemsMax: limits.databaseGroupItemsMax,
      inFlightMax: limits.databaseGroupsInFlightMax,
      queuedMax: options.queuedMax ?? limits.databaseGroupQueuedMax,
      whenFull: () => new AppError(Code.ResourceExhausted, "the gateway is busy; try again shortly"),
    });
  }

  async submit(item: T): Promise<R> {
    return unwrap(await this.batcher.submit(item));
  }

  private run(items: T[]): Promise<Settled<R>[]> {
    const { together, alone, sharedFailure } = this.options;
    return settleGroup(items, { together, sharedFailure, each: (again) => Promise.all(again.map((item) => settleAsync(() => alone(item)))) });
  }
}

/** The first of each id in `ids` (a group may hold one id twice: the later ones are answered as not written, and read back). */
export function firstOfEach(ids: string[]): boolean[] {
  const seen = new Set<string>();
  return ids.map((id) => {
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
