// Proves the Batcher's bound: while a batch is under way, at most queuedMax
// items wait; one more is refused at once with the owner's error and is never
// flushed; the items that waited are answered as before, and once the queue
// drains a submit is taken again. Below the bound nothing changes.
import { expect, test } from "bun:test";
import { Batcher } from "../src/lib/batcher";
import { AppError, Code } from "../src/lib/errors";

test("past queuedMax waiting items a submit is refused at once; the waiting ones are still answered; room again once drained", async () => {
  const flushed: number[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const batcher = new Batcher<number, number>(
    async (items) => {
      flushed.push(items);
      await gate;
      return items.map((item) => item * 10);
    },
    { itemsMax: 2, inFlightMax: 1, queuedMax: 3, whenFull: () => new AppError(Code.ResourceExhausted, "busy") },
  );
  const first = [batcher.submit(1), batcher.submit(2)];
  await Bun.sleep(5); // the first batch is under way, held at the gate
  expect(flushed).toEqual([[1, 2]]);
  const waiting = [batcher.submit(3), batcher.submit(4), batcher.submit(5)];
  const refused = await batcher.submit(6).then(
    () => undefined,
    (error: AppError) => error,
  );
  expect(refused).toBeInstanceOf(AppError);
  expect(refused!.code).toBe(Code.ResourceExhausted);
  open();
  expect(await Promise.all([...first, ...waiting])).toEqual([10, 20, 30, 40, 50]);
  expect(flushed.flat()).toEqual([1, 2, 3, 4, 5]);
  expect(await batcher.submit(7)).toBe(70);
});
