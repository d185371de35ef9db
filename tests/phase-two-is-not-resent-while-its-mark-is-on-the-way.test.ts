// Proves the phase-two driver does not send a payment's decision again while
// the mark that records its phase two as done is still being written: the
// payment stays the coordinator's own until the mark lands, and a mark that
// lands while the driver is reading unfinished payments is not taken for
// unfinished by that read. Its banks get its Commit once, and the resend
// counter stays still. A mark that never lands holds the payment back only
// for its bound (a database that stopped answering): then phase two is sent
// again and marked by the resend.
import { afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { limits } from "../src/lib/limits";
import type { PaymentRow } from "../src/store/gateway-store";
import { systemWithSignedUpUsers } from "./support/sample-users";
import { balanceMinor, countCommits, eventually, pay } from "./support/system";

setDefaultTimeout(30_000);
const setup = systemWithSignedUpUsers(["alice", "bob", "carol"]);
let restore: () => void;
beforeAll(() => {
  const { store } = setup.system.gateway;
  const { markPhaseTwoDone, listPhaseTwoUnfinished } = store;
  restore = () => Object.assign(store, { markPhaseTwoDone, listPhaseTwoUnfinished });
});
// The bound is shortened for one test: the limits are constants to the code, so through a writable view.
const writableLimits = limits as { phaseTwoMarkWaitMsMax: number };
const markWaitMsMax = limits.phaseTwoMarkWaitMsMax;
afterEach(() => {
  restore();
  writableLimits.phaseTwoMarkWaitMsMax = markWaitMsMax;
});

/** Each mark lands `delayMs` late; returns the ids marked so far. */
function slowMarks(delayMs: number): Set<string> {
  const { store } = setup.system.gateway;
  const mark = store.markPhaseTwoDone.bind(store);
  const marked = new Set<string>();
  store.markPhaseTwoDone = async (id, atMs) => {
    await sleepMs(delayMs);
    await mark(id, atMs);
    marked.add(id);
  };
  return marked;
}

/** The first mark never lands (its write hangs); later marks land as usual. Returns the ids marked, and when the hung one began. */
function firstMarkHangs(): { marked: Set<string>; readonly hungAtMs: number | undefined } {
  const { store } = setup.system.gateway;
  const mark = store.markPhaseTwoDone.bind(store);
  const marked = new Set<string>();
  let hungAtMs: number | undefined;
  store.markPhaseTwoDone = async (id, atMs) => {
    if (hungAtMs === undefined) {
      hungAtMs = performance.now();
      return new Promise<void>(() => undefined);
    }
    await mark(id, atMs);
    marked.add(id);
  };
  return {
    marked,
    get hungAtMs() {
      return hungAtMs;
    },
  };
}

/** Each read of unfinished payments answers `holdMs` after it read; returns the ids every read listed. */
function slowReads(holdMs: number): string[] {
  const { store } = setup.system.gateway;
  const read = store.listPhaseTwoUnfinished.bind(store);
  const listed: string[] = [];
  store.listPhaseTwoUnfinished = async (after, limit): Promise<PaymentRow[]> => {
    const rows = await read(after, limit);
    listed.push(...rows.map((row) => row.id));
    if (rows.length > 0) await sleepMs(holdMs);
    return rows;
  };
  return listed;
}

/** From now on: the payments the driver re-sends (and when it first did), and the Commits `payeeBank` applies. */
function watchPhaseTwo(payeeBank: string): { readonly resent: number; readonly firstResentAtMs: number | undefined; readonly commits: number } {
  const { coordinator } = setup.system.gateway;
  let resent = 0;
  let firstResentAtMs: number | undefined;
  coordinator.onResent = (payments) => {
    resent += payments;
    firstResentAtMs ??= performance.now();
  };
  const commits = countCommits(setup.system, payeeBank);
  return {
    get resent() {
      return resent;
    },
    get firstResentAtMs() {
      return firstResentAtMs;
    },
    get commits() {
      return commits.count;
    },
  };
}

test("a payment whose phase-two mark is slow to land is not sent its Commit again", async () => {
  const { system, alice, bob, totalMinor } = setup;
  // Past the driver's longest idle interval: a pass runs while the mark is on its way.
  const marked = slowMarks(limits.phaseTwoRetryMsMax + 1_500);
  const listed = slowReads(0);
  const watched = watchPhaseTwo("icici");
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];

  const reply = await pay(alice, "bob", 4_321n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  expect(await eventually(() => marked.has(reply.payment.id), 30_000)).toBe(true);

  // A pass did see it unfinished (so the test would catch a resend), and sent nothing.
  expect(listed).toContain(reply.payment.id);
  expect(watched.resent).toBe(0);
  expect(watched.commits).toBe(1);
  expect((await system.gateway.store.getPayment(reply.payment.id))?.phaseTwoDoneAtMs).not.toBeNull();
  expect(await balanceMinor(bob)).toBe(bobBefore + 4_321n);
  expect(await balanceMinor(alice)).toBe(aliceBefore - 4_321n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a mark that lands while the driver reads is not taken for unfinished by that read", async () => {
  const { system, carol, totalMinor } = setup;
  const marked = slowMarks(300);
  // The read lists the payment before its mark lands, and answers after it has.
  const listed = slowReads(1_000);
  const watched = watchPhaseTwo("hdfc");

  const reply = await pay(carol, "alice", 1_234n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  // Adopting nothing restarts the driver: its next pass starts at once, while the mark is on its way.
  await system.gateway.coordinator.finishAdopted([]);
  expect(await eventually(() => marked.has(reply.payment.id) && listed.includes(reply.payment.id), 10_000)).toBe(true);
  await sleepMs(1_500);

  expect(watched.resent).toBe(0);
  expect(watched.commits).toBe(1);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a mark that never lands holds the payment back only for its bound; then phase two is sent again and marked", async () => {
  const { system, bob, carol, totalMinor } = setup;
  writableLimits.phaseTwoMarkWaitMsMax = 1_000;
  const hung = firstMarkHangs();
  const watched = watchPhaseTwo("sbi");
  const [bobBefore, carolBefore] = [await balanceMinor(bob), await balanceMinor(carol)];

  const reply = await pay(bob, "carol", 2_468n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  // A pass at once, within the bound: it must leave the payment alone.
  await system.gateway.coordinator.finishAdopted([]);
  // The driver's next pass after the bound re-sends the Commit, and the resend's mark lands.
  expect(await eventually(() => hung.marked.has(reply.payment.id), limits.phaseTwoRetryMsMax + 10_000)).toBe(true);

  expect(watched.resent).toBeGreaterThanOrEqual(1);
  // Not before the bound: until then the hung mark kept the payment this pass's own
  // (less a tenth: the coordinator's clock counts whole milliseconds from a moment a little earlier).
  expect(watched.firstResentAtMs! - hung.hungAtMs!).toBeGreaterThan(writableLimits.phaseTwoMarkWaitMsMax * 0.9);
  expect((await system.gateway.store.getPayment(reply.payment.id))?.phaseTwoDoneAtMs).not.toBeNull();
  // The payee's bank got the Commit again and took it as the same transaction: money moved once.
  expect(watched.commits).toBeGreaterThanOrEqual(2);
  expect(await balanceMinor(carol)).toBe(carolBefore + 2_468n);
  expect(await balanceMinor(bob)).toBe(bobBefore - 2_468n);
  expect(system.totalMinor()).toBe(totalMinor);
});
