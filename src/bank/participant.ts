// The two-phase-commit participant. A Prepare places holds (pending until the
// decision) and votes; Commit posts them; Abort voids them. Batches run in one SQLite
// transaction, several at once when they arrive together (group commit across
// RPCs), so every vote and outcome is on disk before it is answered.
import { assert } from "../lib/assert";
import { failpoint } from "../lib/failpoint";
import type { Clock } from "../lib/clock";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { isAmountMinor } from "../lib/money";
import type { BankStore, Leg } from "../store/bank-store";

export interface PrepareItem {
  txid: string;
  legs: Leg[];
  requestId: string;
}
export type NoReason = "insufficient_funds" | "account_not_found" | "aborted" | "invalid";
export interface Vote {
  txid: string;
  yes: boolean;
  reason: NoReason | "";
}
export interface Ack {
  txid: string;
  ok: boolean;
  error: string;
}
export interface TxRef {
  txid: string;
  requestId: string;
}

/** One RPC's batch: Prepare items, or Commit / Abort references. */
export type Work = { kind: "prepare"; items: PrepareItem[] } | { kind: "commit" | "abort"; refs: TxRef[] };
export type WorkResult = Vote[] | Ack[];

export class Participant {
  constructor(
    private readonly store: BankStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  prepare(items: PrepareItem[]): Vote[] {
    return this.apply([{ kind: "prepare", items }])[0] as Vote[];
  }

  commit(refs: TxRef[]): Ack[] {
    return this.apply([{ kind: "commit", refs }])[0] as Ack[];
  }

  abort(refs: TxRef[]): Ack[] {
    return this.apply([{ kind: "abort", refs }])[0] as Ack[];
  }

  /**
   * Several batches in one SQLite transaction, in order: one fsync for all.
   * Each batch's answer is returned in its place.
   */
  apply(work: Work[]): WorkResult[] {
    assert(work.length <= limits.groupedBatchesMax, "grouped batches within bound");
    for (const w of work) assert((w.kind === "prepare" ? w.items.length : w.refs.length) <= limits.batchItemsMax, "batch within bound");
    const nowMs = this.clock.nowMs();
    const prepares = work.some((w) => w.kind === "prepare");
    const commits = work.some((w) => w.kind === "commit");
    if (prepares) failpoint("bank.prepare.before");
    if (commits) failpoint("bank.commit.before");
    const results = this.store.transaction(() =>
      work.map((w): WorkResult => (w.kind === "prepare" ? w.items.map((item) => this.prepareOne(item, nowMs)) : w.refs.map((ref) => this.applyDecision(ref, outcomeOf(w.kind), nowMs)))),
    );
    if (prepares) failpoint("bank.prepare.after");
    if (commits) failpoint("bank.commit.after");
    work.forEach((w, i) => {
      // One line per item only where info is on: the fields cost CPU on every batch.
      if (w.kind === "prepare") {
        if (this.log.isLevelEnabled("info")) this.logVotes(w.items, results[i] as Vote[]);
      } else {
        this.logAcks(w.refs, results[i] as Ack[], outcomeOf(w.kind));
      }
    });
    return results;
  }

  private logVotes(items: PrepareItem[], votes: Vote[]): void {
    votes.forEach((vote, i) => {
      const item = items[i]!;
      this.log.info(
        { event: vote.yes ? "payment.prepared" : "payment.refused", txid: vote.txid, request_id: item.requestId, reason: vote.reason || undefined, legs: legsForLog(item.legs) },
        vote.yes ? "voted yes" : "voted no",
      );
    });
  }

  private prepareOne(item: PrepareItem, nowMs: number): Vote {
    const existing = this.store.getTransaction(item.txid);
    if (existing) {
      // A retried Prepare gets the vote it had; a tombstone (abort seen first) votes NO.
      return { txid: item.txid, yes: existing.state !== "aborted", reason: existing.state === "aborted" ? "aborted" : "" };
    }
    const refusal = this.checkLegs(item.legs);
    if (refusal) {
      this.store.insertTransaction({ txid: item.txid, state: "aborted", requestId: item.requestId, preparedAtMs: nowMs, decidedAtMs: nowMs });
      return { txid: item.txid, yes: false, reason: refusal };
    }
    this.store.insertTransaction({ txid: item.txid, state: "prepared", requestId: item.requestId, preparedAtMs: nowMs, decidedAtMs: null });
    for (const leg of item.legs) {
      this.store.insertHold(item.txid, leg.account, leg.deltaMinor);
      if (leg.deltaMinor < 0n) this.store.addHeld(leg.account, -leg.deltaMinor);
    }
    return { txid: item.txid, yes: true, reason: "" };
  }

  /** Why these legs cannot be held, or undefined when they can. */
  private checkLegs(legs: Leg[]): NoReason | undefined {
    if (legs.length === 0 || legs.length > 2) return "invalid";
    if (new Set(legs.map((leg) => leg.account)).size !== legs.length) return "invalid";
    for (const leg of legs) {
      // A leg moves a payment's amount: the amount's rule, whichever way it goes.
      if (!isAmountMinor(leg.deltaMinor < 0n ? -leg.deltaMinor : leg.deltaMinor)) return "invalid";
      const account = this.store.getAccount(leg.account);
      if (!account) return "account_not_found";
      if (leg.deltaMinor < 0n && account.balanceMinor - account.heldMinor < -leg.deltaMinor) return "insufficient_funds";
      if (leg.deltaMinor > 0n && account.balanceMinor + leg.deltaMinor > limits.balanceMinorMax) return "invalid";
    }
    return undefined;
  }

  private logAcks(refs: TxRef[], acks: Ack[], outcome: "committed" | "aborted"): void {
    acks.forEach((ack, i) => {
      const ref = refs[i]!;
      if (ack.ok) {
        if (this.log.isLevelEnabled("info")) this.log.info({ event: outcome === "committed" ? "hold.posted" : "hold.voided", txid: ack.txid, request_id: ref.requestId }, outcome);
      } else {
        this.log.error({ event: "protocol.violation", txid: ack.txid, request_id: ref.requestId, wanted: outcome, error: ack.error }, "refused a decision");
      }
    });
  }

  private applyDecision(ref: TxRef, outcome: "committed" | "aborted", nowMs: number): Ack {
    const tx = this.store.getTransaction(ref.txid);
    if (!tx) {
      if (outcome === "committed") return { txid: ref.txid, ok: false, error: "unknown transaction: nothing was prepared" };
      // Tombstone: a Prepare arriving after this Abort must vote NO.
      this.store.insertTransaction({ txid: ref.txid, state: "aborted", requestId: ref.requestId, preparedAtMs: nowMs, decidedAtMs: nowMs });
      return { txid: ref.txid, ok: true, error: "" };
    }
    if (tx.state === outcome) return { txid: ref.txid, ok: true, error: "" };
    if (tx.state !== "prepared") {
      return { txid: ref.txid, ok: false, error: `transaction is ${tx.state}; refusing to mark it ${outcome}` };
    }
    if (outcome === "committed") this.postAll(ref.txid, nowMs);
    else this.voidAll(ref.txid);
    this.store.setTransactionState(ref.txid, outcome, nowMs);
    return { txid: ref.txid, ok: true, error: "" };
  }

  private postAll(txid: string, nowMs: number): void {
    const rows = this.store.holdsOf(txid);
    assert(rows.length > 0, "a prepared transaction has holds");
    for (const row of rows) {
      assert(row.state === "pending", "posting only pending holds");
      const heldReleaseMinor = row.deltaMinor < 0n ? -row.deltaMinor : 0n;
      const balanceAfterMinor = this.store.post(row.account, row.deltaMinor, heldReleaseMinor);
      assert(balanceAfterMinor >= 0n, "a posted balance is never negative");
      this.store.insertLedger({ txid, account: row.account, deltaMinor: row.deltaMinor, balanceAfterMinor, atMs: nowMs });
    }
    this.store.setHoldState(txid, "posted");
  }

  private voidAll(txid: string): void {
    for (const row of this.store.holdsOf(txid)) {
      assert(row.state === "pending", "voiding only pending holds");
      if (row.deltaMinor < 0n) this.store.addHeld(row.account, row.deltaMinor);
    }
    this.store.setHoldState(txid, "voided");
  }
}

function outcomeOf(kind: "commit" | "abort"): "committed" | "aborted" {
  return kind === "commit" ? "committed" : "aborted";
}

function legsForLog(legs: Leg[]): { account: string; delta_minor: string }[] {
  return legs.map((leg) => ({ account: leg.account, delta_minor: leg.deltaMinor.toString() }));
}
