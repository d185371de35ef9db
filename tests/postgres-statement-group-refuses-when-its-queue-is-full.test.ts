// Proves the PostgreSQL engine's statement groups are bounded: with a group
// stuck at the server, submits past the queue's bound are refused at once
// (RESOURCE_EXHAUSTED, "the gateway is busy"), never run, while those
// already waiting are still answered, each with its own row's result.
import { expect, test } from "bun:test";
import { AppError, Code } from "../src/lib/errors";
import { StatementGroup } from "../src/store/postgres-groups";

test("a statement group whose queue is full refuses the next submit at once and runs nothing of it", async () => {
  let release: () => void = () => {};
  const stuck = new Promise<void>((resolve) => (release = resolve));
  const ran: number[][] = [];
  const group = new StatementGroup<number, number>({
    together: async (items) => {
      ran.push(items);
      await stuck;
      return items.map((item) => item * 10);
    },
    alone: async (item) => item * 10,
    sharedFailure: () => true,
    queuedMax: 2,
  });
  const inFlight = group.submit(1);
  await Bun.sleep(10); // the first group is now at the "server"
  const waiting = [group.submit(2), group.submit(3)];
  const refused = await group.submit(4).catch((error: AppError) => error);
  expect(refused).toBeInstanceOf(AppError);
  expect((refused as AppError).code).toBe(Code.ResourceExhausted);
  expect((refused as AppError).message).toBe("the gateway is busy; try again shortly");
  release();
  expect(await inFlight).toBe(10);
  expect(await Promise.all(waiting)).toEqual([20, 30]);
  expect(ran.flat()).toEqual([1, 2, 3]);
  expect(await group.submit(5)).toBe(50);
});
