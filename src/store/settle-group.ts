// What both gateway stores do with a group of writes (SQLite's group commit,
// PostgreSQL's grouped statements): run it together, and when that fails for
// a reason of one item's own (a constraint one row broke), run it again so
// that each item's failure stays its own. Grouping then never turns one
// caller's error into its neighbours'.

/** One caller's answer from a group: its result, or the error of its own part. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupWays<T, R> {
  /** The whole group at once; an answer per item, in order. */
  together: (items: T[]) => R[] | Promise<R[]>;
  /** The group again, each item's failure kept to itself; an answer per item, in order. */
  each: (items: T[]) => Settled<R>[] | Promise<Settled<R>[]>;
  /** The failure is every item's (the database unreachable, the disk full): trying again item by item cannot help. */
  sharedFailure: (error: unknown) => boolean;
}

export async function settleGroup<T, R>(items: T[], ways: GroupWays<T, R>): Promise<Settled<R>[]> {
  try {
    const values = await ways.together(items);
    return values.map((value) => ({ ok: true, value }));
  } catch (error) {
    if (items.length === 1 || ways.sharedFailure(error)) return items.map(() => ({ ok: false, error }));
    try {
      return await ways.each(items);
    } catch (failure) {
      // `each` keeps each item's own failure to itself; what escapes it failed
      // the pass as a whole (the database, not one item), so it is everyone's.
      return items.map(() => ({ ok: false, error: failure }));
    }
  }
}

/** `run`'s result or its error, as a value. */
export function settle<R>(run: () => R): Settled<R> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** `run`'s result or its error, as a value, for a promise. */
export function settleAsync<R>(run: () => Promise<R>): Promise<Settled<R>> {
  return run().then(
    (value): Settled<R> => ({ ok: true, value }),
    (error: unknown): Settled<R> => ({ ok: false, error }),
  );
}

/** The value a caller is answered with, or its own error thrown. */
export function unwrap<R>(settled: Settled<R>): R {
  if (!settled.ok) throw settled.error;
  return settled.value;
}
