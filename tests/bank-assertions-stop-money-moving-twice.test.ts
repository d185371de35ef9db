// Proves the bank's assertions where money changes: a commit or an abort that
// finds its pending amounts already posted (a bug, or a row changed behind the
// bank's back) stops with an AssertionError inside the transaction, so no
// balance moves and the transaction stays as it was (a real bank process then
// exits: assertion-reached-stops-the-process-and-restart-recovers.test.ts).
import { expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { Participant } from "../src/bank/participant";
import { systemClock } from "../src/lib/clock";
import { silentLogger } from "../src/lib/log";
import { BankStore } from "../src/store/bank-store";
import { expectAssertion } from "./support/assertions";

function preparedPayment(): { store: BankStore; participant: Participant } {
  const store = new BankStore(":memory:");
  store.insertAccount({ number: "A", holder: "A", balanceMinor: 10_000n });
  store.insertAccount({ number: "B", holder: "B", balanceMinor: 0n });
  const participant = new Participant(store, systemClock, silentLogger);
  const legs = [{ account: "A", deltaMinor: -2_500n }, { account: "B", deltaMinor: 2_500n }];
  expect(participant.prepare([{ txid: "t1", requestId: "r", legs }])[0]).toMatchObject({ yes: true });
  // Behind the bank's back: the amounts look posted already.
  (store as unknown as { opened: { sqlite: Database } }).opened.sqlite.exec("UPDATE pending SET state = 'posted' WHERE txid = 't1'");
  return { store, participant };
}

for (const [decision, named] of [["commit", "a Commit"], ["abort", "an Abort"]] as const) {
  test(`${named} whose amounts are no longer pending stops with an AssertionError and moves nothing`, () => {
    const { store, participant } = preparedPayment();
    expectAssertion(() => participant[decision]([{ txid: "t1", requestId: "" }]));
    expect(store.getAccount("A")).toMatchObject({ balanceMinor: 10_000n, heldMinor: 2_500n });
    expect(store.getAccount("B")!.balanceMinor).toBe(0n);
    expect(store.getTransaction("t1")!.state).toBe("prepared");
    store.close();
  });
}
