// Proves two rules of the coordinator's log. The first decision stands: a
// bank asking about a payment that is undecided past its prepare timeout is
// told ABORT, that ABORT is recorded, and the payment's own execution, coming
// back later with all votes YES, adopts it: FAILED everywhere, no bank posts
// anything, every hold is voided. And a bank's refusal (an ack with ok false)
// is not an acknowledgement: phase two stays unfinished and is resent until
// the bank accepts it.
import { expect, test } from "bun:test";
import type { Work, WorkResult } from "../src/bank/participant";
import { eventually, balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, tamperBank } from "./support/system";

const banks = ["hdfc", "icici"];

test("a bank told ABORT for a payment undecided past its prepare timeout: the late all-YES execution adopts the ABORT, FAILED everywhere", async () => {
  // Banks ask after 400 ms; the gateway waits at most 300 ms for votes.
  const system = await startSystem({ banks, prepareTimeoutMs: 300, inDoubtAfterMs: 400 });
  const coordinator = system.gateway.coordinator;
  const decide = coordinator.decide;
  try {
    const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
    const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
    const hdfc = system.banks.get("hdfc")!;
    const icici = system.banks.get("icici")!;
    // The execution stalls (a slow disk, a long pause) after every bank voted
    // YES and before its COMMIT is written, until the test lets it go on.
    const resume = Promise.withResolvers<void>();
    let stalledTxid: string | undefined;
    coordinator.decide = async (id, wanted, undecided) => {
      if (wanted.decision === "COMMIT" && stalledTxid === undefined) {
        stalledTxid = id;
        await resume.promise;
      }
      return decide.call(coordinator, id, wanted, undecided);
    };

    const replied = pay(alice, "bob", 300_000n);
    expect(await eventually(() => stalledTxid !== undefined)).toBe(true);
    const txid = stalledTxid!;
    expect(hdfc.store.getTransaction(txid)?.state).toBe("prepared");
    expect(icici.store.getTransaction(txid)?.state).toBe("prepared");
    // The payer's bank asks once the payment is older than its in-doubt
    // interval (past the prepare timeout): it is told ABORT and voids its hold.
    expect(await eventually(() => hdfc.store.getTransaction(txid)?.state === "aborted")).toBe(true);
    resume.resolve();

    const reply = await replied;
    expect(reply.payment.id).toBe(txid);
    expect(reply.payment.status).toBe("FAILED");
    expect(reply.payment.failure_code).toBe("prepare_timeout");
    const row = (await system.gateway.store.getPayment(txid))!;
    expect(row.decision).toBe("ABORT");
    const shown = await alice.call("GetPayment", { id_or_key: txid }, { retry: false });
    expect(shown.status).toBe("FAILED");
    // No bank posted it; both void what they held or had pending; phase two is done.
    expect(await eventually(() => icici.store.getTransaction(txid)?.state === "aborted")).toBe(true);
    expect(hdfc.store.getTransaction(txid)?.state).toBe("aborted");
    expect(await eventually(async () => (await system.gateway.store.getPayment(txid))?.phaseTwoDoneAtMs !== null)).toBe(true);
    for (const bank of [hdfc, icici]) {
      expect(bank.store.totals()).toMatchObject({ committed: 0, openHolds: 0, heldSumMinor: 0n });
    }
    expect(await balanceMinor(alice)).toBe(500_000n);
    expect(await balanceMinor(bob)).toBe(120_000n);
    expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, banks));
  } finally {
    coordinator.decide = decide;
    await system.stop();
  }
}, 20_000);

test("a bank refusing a Commit (ok false) leaves phase two unfinished; it is resent, and once accepted the money arrives once", async () => {
  const system = await startSystem({ banks });
  try {
    const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
    const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
    const icici = system.banks.get("icici")!;
    const admin = system.client("admin");
    // Once icici has voted YES, its transaction row is marked aborted behind
    // the protocol's back, so it refuses the Commit. Once the test allows it,
    // the row is repaired just before the next Commit is applied: only a
    // resend can then finish the payment.
    let txid: string | undefined;
    let commitsSeen = 0;
    let repairWanted = false;
    const apply = icici.participant.apply.bind(icici.participant);
    icici.participant.apply = (work: Work[]): WorkResult[] => {
      if (work.some((w) => w.kind === "commit" && w.refs.some((ref) => ref.txid === txid))) {
        commitsSeen += 1;
        if (repairWanted) {
          repairWanted = false;
          tamperBank(system, "icici", "UPDATE pending SET state = 'pending' WHERE txid = ?", txid!);
          tamperBank(system, "icici", "UPDATE transactions SET state = 'prepared', decided_at_ms = NULL WHERE txid = ?", txid!);
        }
      }
      const results = apply(work);
      const prepare = work.find((w) => w.kind === "prepare");
      if (prepare && prepare.kind === "prepare" && txid === undefined) {
        txid = prepare.items[0]!.txid;
        tamperBank(system, "icici", "UPDATE transactions SET state = 'aborted' WHERE txid = ?", txid);
        tamperBank(system, "icici", "UPDATE pending SET state = 'voided' WHERE txid = ?", txid);
      }
      return results;
    };

    const reply = await pay(alice, "bob", 12_345n);
    expect(reply.payment.status).toBe("SUCCEEDED");
    expect(reply.payment.id).toBe(txid!);
    expect(commitsSeen).toBeGreaterThanOrEqual(1);
    expect(icici.store.getTransaction(txid!)?.state).toBe("aborted");
    // The refusal is not an acknowledgement: phase two is not done.
    const during = await admin.callAdmin("Audit", {}, { retry: false });
    expect(during.phase_two_unfinished).toBe(1);
    expect(during.payments_succeeded).toBe(1);
    expect((await system.gateway.store.getPayment(txid!))?.phaseTwoDoneAtMs).toBeNull();
    expect(icici.store.getTransaction(txid!)?.state).toBe("aborted");

    // The resend driver sends the Commit again; the repaired bank accepts it.
    repairWanted = true;
    expect(await eventually(async () => (await system.gateway.store.getPayment(txid!))?.phaseTwoDoneAtMs !== null)).toBe(true);
    expect(commitsSeen).toBeGreaterThanOrEqual(2);
    expect(icici.store.getTransaction(txid!)?.state).toBe("committed");
    expect(await balanceMinor(bob)).toBe(120_000n + 12_345n);
    expect(await balanceMinor(alice)).toBe(500_000n - 12_345n);
    expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, banks));
    const after = await admin.callAdmin("Audit", {}, { retry: false });
    expect(after.phase_two_unfinished).toBe(0);
    expect(after.ok).toBe(true);
  } finally {
    await system.stop();
  }
}, 20_000);
