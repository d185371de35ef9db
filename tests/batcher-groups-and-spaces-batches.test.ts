// Proves the group-commit batcher: requests of one turn of the event loop
// form one batch, within its size bound; under load (a large last batch) the
// next batch waits out the spacing and so gathers more; a light load never waits.
import { expect, test } from "bun:test";
import { Batcher, type BatcherOptions } from "../src/lib/batcher";

function recording(options: Omit<BatcherOptions, "queuedMax" | "whenFull">) {
  const batches: { items: number[]; atMs: number }[] = [];
  const batcher = new Batcher<number, number>((items) => {
    batches.push({ items, atMs: performance.now() });
    return items.map((item) => item * 10);
  }, { queuedMax: 1_000, whenFull: () => new Error("full"), ...options });
  return { batcher, batches };
}

test("one turn's requests form one batch, split at the size bound, each answered for itself", async () => {
  const { batcher, batches } = recording({ itemsMax: 4, inFlightMax: 1 });
  const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n)));
  expect(answers).toEqual([10, 20, 30, 40, 50, 60]);
  expect(batches.map((b) => b.items)).toEqual([[1, 2, 3, 4], [5, 6]]);
});

test("after a large batch the next waits for the spacing and gathers what came meanwhile; after a small one it starts at once", async () => {
  const { batcher, batches } = recording({ itemsMax: 100, inFlightMax: 1, spacing: { ms: 200, afterItems: 3 } });
  await Promise.all([1, 2, 3].map((n) => batcher.submit(n))); // large enough to space the next
  const later = [batcher.submit(4)];
  await Bun.sleep(5);
  later.push(batcher.submit(5));
  await Promise.all(later);
  expect(batches.map((b) => b.items)).toEqual([[1, 2, 3], [4, 5]]);
  expect(batches[1]!.atMs - batches[0]!.atMs).toBeGreaterThanOrEqual(199);

  // [4, 5] was small: the next batch does not wait.
  const startedAtMs = performance.now();
  await batcher.submit(6);
  expect(batches[2]!.items).toEqual([6]);
  expect(batches[2]!.atMs - startedAtMs).toBeLessThan(150);
});
