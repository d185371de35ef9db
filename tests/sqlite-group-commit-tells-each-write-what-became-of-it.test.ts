// Proves SQLite's group commit answers each write of a batch with what became
// of that write: a write that breaks a constraint fails alone and the others
// of its batch are written; a failure of the database itself (here SQLite
// rolling the whole transaction back, as it may on a disk error) fails every
// write of the batch and leaves none of them written, so no caller is told
// "failed" about a write that is on disk.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommit } from "../src/store/group-commit";
import { Store } from "../src/store/store";

class RowsStore extends Store {
  constructor(path: string) {
    super(path, [{ id: "0001", sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY)" }]);
  }
  insert(id: number): number {
    this.opened.sqlite.query("INSERT INTO rows (id) VALUES (?)").run(id);
    return id;
  }
  /** What SQLite does on a disk error in the middle of a transaction: rolls it all back, then reports. */
  failAsTheDiskWould(): never {
    this.opened.sqlite.exec("ROLLBACK");
    throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
  }
  ids(): number[] {
    return this.opened.sqlite.query<{ id: bigint }, []>("SELECT id FROM rows ORDER BY id").all().map((row) => Number(row.id));
  }
}

let dir: string;
let store: RowsStore;
let writes: GroupCommit;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ministripe-group-"));
  store = new RowsStore(join(dir, "rows.db"));
  writes = new GroupCommit(store);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a write that breaks a constraint fails alone; the others of its batch are written and told so", async () => {
  const outcomes = await Promise.allSettled([writes.durable(() => store.insert(1)), writes.durable(() => store.insert(1)), writes.unsynced(() => store.insert(3))]);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(store.ids()).toEqual([1, 3]);
});

test("the database failing while a batch is written again fails every write of it, and none is written", async () => {
  const outcomes = await Promise.allSettled([
    writes.durable(() => store.insert(10)),
    writes.durable(() => store.insert(1)), // breaks the key: the batch is written again, write by write
    writes.unsynced(() => store.failAsTheDiskWould()),
    writes.durable(() => store.insert(13)),
  ]);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
  expect(store.ids()).toEqual([1, 3]);
  expect(store.inTransaction).toBe(false);
  // And the next batch is written as usual.
  expect(await writes.durable(() => store.insert(20))).toBe(20);
  expect(store.ids()).toEqual([1, 3, 20]);
});
