// The two-phase-commit coordinator. A payment row is on disk before phase
// one; the decision is on disk before phase two; phase two is re-sent until
// every participant acknowledges, across restarts. No decision on disk means
// ABORT (presumed abort).
import { assert } from "../lib/assert";
import { failpoint } from "../lib/failpoint";
import { backoffMs, type Clock } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { minorToWire } from "../lib/money";
import type { Logger } from "../lib/log";
import { timedPhase } from "../lib/phase-timing";
import type { Decision, GatewayStore, PaymentRow } from "../store/gateway-store";
import { notSentReason, type BankLinks, type PrepareItem, type Vote } from "./bank-links";
import { banksOf, legsAt, type Leg } from "./legs";

export type FailureCode = "insufficient_funds" | "account_not_found" | "bank_unavailable" | "prepare_timeout" | "rejected";

export type VoteResult = { kind: "yes" } | { kind: "no"; reason: string } | { kind: "timeout" } | { kind: "error"; error: AppError };

/** A decision to write: what, and why when it is an abort. */
type Wanted = { decision: Decision; failureCode: FailureCode | null; failureMessage: string | null };

/** What the coordinator needs to know of other gateways on the same database (none with SQLite). */
export interface OtherGateways {
  /** Of `ids`, the undecided payments another live gateway coordinates: only it may decide them yet. */
  undecidedElsewhere(ids: string[]): Promise<Set<string>>;
}

export interface CoordinatorOptions {
  store: GatewayStore;
  banks: BankLinks;
  clock: Clock;
  log: Logger;
  prepareTimeoutMs: number;
  others?: OtherGateways;
}

export class Coordinator {
  /** Payments whose phase two this process is running: null while it is sent, then when their done-mark began to be written. */
  private readonly inPhaseTwo = new Map<string, number | null>();
  /** Marks that landed while the driver's pass was reading unfinished payments: that read may still list them. */
  private readonly markedWhileReading = new Set<string>();
  private passReading = false;
  /** Payments between their claim and their decision in this process, with when their phase one began. */
  private readonly executingSinceAtMs = new Map<string, number>();
  /** Payments a bank's question presumed aborted while their execution ran: the execution tells it, or, failing, tells this one. */
  private readonly presumedWhileExecuting = new Map<string, PaymentRow>();
  private driverTimer: ReturnType<typeof setTimeout> | undefined;
  private driverAttempt = 0;
  /** A resend pass is running: another must not start before it ends (both would send the same payments' phase two). */
  private passRunning = false;
  /** Asked for while a pass ran (payments adopted): the next pass starts soon, from the first page. */
  private passSoonWanted = false;
  /** Where the resend pass goes on, so old rows that never get acknowledged cannot starve newer ones. */
  private resendCursor: { decidedAtMs: number; id: string } | undefined;
  private stopped = false;
  /** Told how many payments each resend pass sent phase two again (metrics). */
  onResent: ((payments: number) => void) | undefined;
  /** Presumed aborts being written by this process, by payment id (see presumeAbort). */
  private readonly presuming = new Map<string, Promise<PaymentRow>>();
  /** Told each payment this process decided by presumed abort, outside an execution (see presumeAbort). */
  onPresumedAbort: ((row: PaymentRow) => void) | undefined;

  constructor(private readonly options: CoordinatorOptions) {}

  /** Runs both phases for a claimed payment and returns the row with its decision. */
  async execute(payment: PaymentRow): Promise<PaymentRow> {
    assert(payment.decision === null, "only an undecided payment is executed");
    this.executingSinceAtMs.set(payment.id, this.options.clock.nowMs());
    let decided: PaymentRow;
    try {
      const votes = await timedPhase("phase_one.votes", () => this.collectVotes(payment));
      failpoint("gateway.votes.collected");
      decided = await timedPhase("decision.durable", () => this.decide(payment.id, decisionOf(votes), payment));
    } catch (error) {
      // Its execution failed after a bank's question decided it: that decision is told here, once.
      const presumed = this.presumedWhileExecuting.get(payment.id);
      if (presumed) this.onPresumedAbort?.(presumed);
      throw error;
    } finally {
      this.executingSinceAtMs.delete(payment.id);
      this.presumedWhileExecuting.delete(payment.id);
    }
    failpoint("gateway.decision.recorded");
    await timedPhase("phase_two.acks", () => this.phaseTwoWithin(decided, limits.phaseTwoWaitMs));
    return decided;
  }

  private async collectVotes(payment: PaymentRow): Promise<VoteResult[]> {
    const deadlineMs = this.options.prepareTimeoutMs;
    return Promise.all(
      participantsOf(payment).map(async ([bank, item]) => {
        let cancelTimeout: (() => void) | undefined;
        // On the injected clock: a test (or a simulation) moves time past the timeout without waiting for it.
        const timeout = new Promise<VoteResult>((resolve) => {
          cancelTimeout = this.options.clock.after(deadlineMs, () => resolve({ kind: "timeout" }));
        });
        // Promise.resolve().then: a bank no longer configured is an error vote, not a throw.
        const vote = Promise.resolve()
          .then(() => this.options.banks.get(bank).prepare(item, this.options.clock.nowMs() + deadlineMs))
          .then(
            voteResultOf,
            (error: AppError): VoteResult => (error.code === Code.DeadlineExceeded ? { kind: "timeout" } : { kind: "error", error }),
          );
        const result = await Promise.race([vote, timeout]);
        cancelTimeout?.();
        return result.kind === "timeout" ? this.timeoutOrUnreachable(bank) : result;
      }),
    );
  }

  /**
   * No vote in time. Calls wait for a connection within the prepare timeout,
   * so a bank that was never connected meanwhile could not be reached: said
   * so (bank_unavailable), rather than that it was slow to vote.
   */
  private timeoutOrUnreachable(bank: string): VoteResult {
    if (!this.options.banks.has(bank) || this.options.banks.get(bank).connected()) return { kind: "timeout" };
    return { kind: "error", error: new AppError(Code.Unavailable, `bank ${bank} was not connected within the prepare timeout`) };
  }

  /** Writes the decision unless one stands already (a bank's question may have forced ABORT). */
  async decide(id: string, wanted: Wanted, undecided?: PaymentRow): Promise<PaymentRow> {
    return (await this.writeDecision(id, wanted, undecided)).row;
  }

  /** The decision as stored (`WHERE decision IS NULL`: an earlier one stands), and whether it is this write's. */
  private async writeDecision(id: string, wanted: Wanted, undecided?: PaymentRow): Promise<{ row: PaymentRow; written: boolean }> {
    const decidedAtMs = this.options.clock.nowMs();
    const row = await this.options.store.decide({ id, ...wanted, decidedAtMs }, undecided);
    this.options.log.info(
      { event: row.decision === "COMMIT" ? "payment.committed" : "payment.aborted", txid: id, request_id: row.requestId, failure_code: row.failureCode ?? undefined },
      "decision recorded",
    );
    return { row, written: row.decision === wanted.decision && row.decidedAtMs === decidedAtMs && row.failureMessage === wanted.failureMessage };
  }

  /**
   * Presumed abort of a payment no execution of this process decides (asked
   * about by a bank, adopted from a silent gateway, found undecided at start
   * (before anyone listens)); told to onPresumedAbort when this write is the
   * one that stands, so metrics, stats and the payer's watch hear of it as of
   * any decision. Two at once for one payment here (both its banks asking)
   * write once between them and tell once.
   */
  private async presumeAbort(id: string, failureMessage: string, undecided?: PaymentRow): Promise<PaymentRow> {
    const already = this.presuming.get(id);
    if (already) return already;
    const deciding = this.writeDecision(id, { decision: "ABORT", failureCode: "prepare_timeout", failureMessage }, undecided).then(({ row, written }) => {
      // A payment this process is executing is told once, by its execution, which adopts this decision (or, should it fail, tells this one).
      if (written && this.executingSinceAtMs.has(id)) this.presumedWhileExecuting.set(id, row);
      else if (written) this.onPresumedAbort?.(row);
      return row;
    });
    this.presuming.set(id, deciding);
    try {
      return await deciding;
    } finally {
      this.presuming.delete(id);
    }
  }

  /** Sends the decision to every participant and waits at most `waitMs` for their acknowledgements. */
  private async phaseTwoWithin(payment: PaymentRow, waitMs: number): Promise<void> {
    let cancelWait: (() => void) | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      cancelWait = this.options.clock.after(waitMs, resolve);
    });
    await Promise.race([this.phaseTwo(payment), gaveUp]);
    cancelWait?.();
  }

  /** True once every participant acknowledged; otherwise the driver tries again later. */
  async phaseTwo(payment: PaymentRow): Promise<boolean> {
    assert(payment.decision !== null, "phase two needs a decision");
    if (this.busyInPhaseTwo(payment.id)) return false;
    this.inPhaseTwo.set(payment.id, null);
    let marking = false;
    try {
      const ref = { txid: payment.id, request_id: payment.requestId };
      const acks = await Promise.all(
        banksOf(payment).map((bank) => {
          const sent = Promise.resolve().then(() => {
            const link = this.options.banks.get(bank);
            return payment.decision === "COMMIT" ? link.commit(ref) : link.abort(ref);
          });
          return sent.then(
            (ack) => {
              if (!ack.ok) this.options.log.error({ event: "protocol.violation", txid: payment.id, bank, error: ack.error }, "a bank refused the decision");
              return ack.ok;
            },
            () => false,
          );
        }),
      );
      if (!acks.every(Boolean)) {
        this.wakeDriver();
        return false;
      }
      // Still this pass's own until its mark lands: the driver lists payments
      // whose mark is not written yet, and would send their decision again.
      marking = true;
      this.markPhaseTwoDone(payment.id);
      return true;
    } finally {
      if (!marking) this.inPhaseTwo.delete(payment.id);
    }
  }

  /** Written without waiting; the payment stays this process's own until the mark lands (or its bound passes). */
  private markPhaseTwoDone(id: string): void {
    const markingSinceAtMs = this.options.clock.nowMs();
    this.inPhaseTwo.set(id, markingSinceAtMs);
    void this.options.store
      .markPhaseTwoDone(id, markingSinceAtMs)
      .then(
        () => {
          if (this.passReading) this.markedWhileReading.add(id);
        },
        (error: unknown) => {
          this.options.log.warn({ event: "phase_two.mark_failed", txid: id, err: (error as Error).message }, "will resend");
        },
      )
      .finally(() => {
        if (this.inPhaseTwo.get(id) === markingSinceAtMs) this.inPhaseTwo.delete(id);
      });
  }

  /**
   * Phase two is under way here: being sent, or its done-mark being written.
   * A mark that has not landed within its bound (a database that stopped
   * answering) no longer holds the payment back from the driver.
   */
  private busyInPhaseTwo(id: string): boolean {
    const markingSinceAtMs = this.inPhaseTwo.get(id);
    if (markingSinceAtMs === undefined) return false;
    return markingSinceAtMs === null || this.options.clock.nowMs() - markingSinceAtMs < limits.phaseTwoMarkWaitMsMax;
  }

  /** On start: abort every payment with no decision, then finish every phase two. */
  async recover(): Promise<number> {
    // Every one, whatever its time: nothing is executing yet, and a clock set back across the restart must not leave some undecided.
    const aborted = await this.abortUndecided(Number.MAX_SAFE_INTEGER, "the gateway restarted before every bank voted; nothing moved");
    this.options.log.info({ event: "coordinator.recovered", aborted }, "presumed abort applied");
    this.wakeDriver();
    return aborted;
  }

  /**
   * Presumed abort for payments created before the cut-off that nobody here is
   * executing: at start every undecided one; while running, one whose
   * execution failed (a write error) and would otherwise wait for a restart.
   */
  private async abortUndecided(createdBeforeAtMs: number, why: string): Promise<number> {
    let aborted = 0;
    for (let page = 0; page < limits.recoveryPagesMax; page++) {
      const undecided = (await this.options.store.listUndecided(createdBeforeAtMs, limits.recoveryScanRowsMax)).filter((row) => !this.executingSinceAtMs.has(row.id));
      if (undecided.length === 0) break;
      // A page at once: its decisions share the group commit's transactions (one fsync each), not one fsync apiece.
      await Promise.all(undecided.map((row) => this.presumeAbort(row.id, why, row)));
      aborted += undecided.length;
    }
    return aborted;
  }

  /**
   * A bank asks about transactions it holds in doubt. Undecided ones are
   * aborted now, except a payment this process is still collecting votes for
   * within its prepare timeout: that one is left unanswered (the bank asks
   * again) and decided by its own votes, so a bank whose in-doubt interval is
   * shorter than the gateway's prepare timeout does not abort payments that
   * would succeed.
   */
  async decisionsFor(txids: string[]): Promise<{ txid: string; outcome: Decision | "OUTCOME_UNSPECIFIED" }[]> {
    const known = await this.options.store.decisionsOf(txids);
    const undecided = txids.filter((txid) => known.has(txid) && known.get(txid) === null);
    // Another live gateway is still running these: it decides, or another adopts them once it falls silent.
    const elsewhere = undecided.length > 0 && this.options.others ? await this.options.others.undecidedElsewhere(undecided) : new Set<string>();
    const answers = [];
    for (const txid of txids) {
      if (!known.has(txid)) {
        answers.push({ txid, outcome: "ABORT" as const }); // never recorded: presumed abort
        continue;
      }
      if (known.get(txid) === null && (this.stillVoting(txid) || elsewhere.has(txid))) {
        answers.push({ txid, outcome: "OUTCOME_UNSPECIFIED" as const });
        continue;
      }
      const decision = known.get(txid) ?? (await this.presumeAbort(txid, "a bank asked before every vote was in")).decision!;
      answers.push({ txid, outcome: decision });
    }
    return answers;
  }

  private stillVoting(txid: string): boolean {
    const startedAtMs = this.executingSinceAtMs.get(txid);
    return startedAtMs !== undefined && this.options.clock.nowMs() - startedAtMs < this.options.prepareTimeoutMs;
  }

  /**
   * Payments adopted from a gateway that fell silent: presumed abort for
   * those it never decided (their votes died with it), then phase two for
   * all of them, as for this gateway's own.
   */
  async finishAdopted(adopted: { id: string; decision: Decision | null }[]): Promise<void> {
    for (const payment of adopted) {
      if (payment.decision === null) await this.presumeAbort(payment.id, "its gateway stopped before every bank voted; nothing moved");
    }
    this.passSoon();
  }

  /** The next resend pass soon, from the first page; after the one running, if one is (it schedules the next as it ends). */
  private passSoon(): void {
    if (this.passRunning) {
      this.passSoonWanted = true;
      return;
    }
    this.resendCursor = undefined;
    this.driverAttempt = 0;
    if (this.driverTimer) clearTimeout(this.driverTimer);
    this.driverTimer = undefined;
    this.wakeDriver();
  }

  startDriver(): void {
    this.wakeDriver();
  }

  stop(): void {
    this.stopped = true;
    if (this.driverTimer) clearTimeout(this.driverTimer);
  }

  /** Schedules a resend pass, sooner after success, with backoff while banks stay away. */
  private wakeDriver(): void {
    if (this.stopped || this.driverTimer) return;
    const delayMs = backoffMs(this.driverAttempt, limits.phaseTwoRetryMsMin, limits.phaseTwoRetryMsMax);
    this.driverTimer = setTimeout(() => {
      this.driverTimer = undefined;
      // Woken during a pass (phase two failing inside it): that pass schedules the next as it ends.
      if (this.passRunning) return;
      void this.resendPass();
    }, delayMs);
  }

  /** A page of unfinished payments, noting the marks that land meanwhile (the read may not see them). */
  private async readPhaseTwoUnfinished(): Promise<PaymentRow[]> {
    this.markedWhileReading.clear();
    this.passReading = true;
    try {
      return await this.options.store.listPhaseTwoUnfinished(this.resendCursor, limits.recoveryScanRowsMax);
    } finally {
      this.passReading = false;
    }
  }

  /** One pass of the driver, which runs for the gateway's life: abandoned payments, then one page of phase two. */
  private async resendPass(): Promise<void> {
    assert(!this.passRunning, "one resend pass at a time");
    this.passRunning = true;
    try {
      const abandonedBeforeAtMs = this.options.clock.nowMs() - 2 * this.options.prepareTimeoutMs - limits.phaseTwoDeadlineMs;
      await this.abortUndecided(abandonedBeforeAtMs, "the payment's execution failed before a decision; nothing moved");
      const page = await this.readPhaseTwoUnfinished();
      const last = page[page.length - 1];
      this.resendCursor = page.length < limits.recoveryScanRowsMax || !last ? undefined : { decidedAtMs: last.decidedAtMs!, id: last.id };
      const unfinished = page.filter((row) => !this.busyInPhaseTwo(row.id) && !this.markedWhileReading.has(row.id));
      this.markedWhileReading.clear();
      const results = await Promise.all(unfinished.map((row) => this.phaseTwo(row)));
      this.driverAttempt = results.every(Boolean) ? (unfinished.length === 0 ? limits.phaseTwoDriverIdleAttempt : 0) : this.driverAttempt + 1;
      if (unfinished.length > 0) this.onResent?.(unfinished.length);
      if (unfinished.length > 0) this.options.log.info({ event: "phase_two.resent", payments: unfinished.length, acknowledged: results.filter(Boolean).length }, "phase two resent");
    } catch (error) {
      // A failing pass (the disk, say) must not stop the driver: log it and try again later.
      this.driverAttempt += 1;
      this.options.log.error({ event: "phase_two.pass_failed", err: (error as Error).message }, "resend pass failed");
    } finally {
      this.passRunning = false;
      if (this.passSoonWanted) {
        this.passSoonWanted = false;
        this.passSoon();
      } else this.wakeDriver();
    }
  }
}

/** Each participating bank with its legs: one bank when both accounts are there. */
function participantsOf(payment: PaymentRow): [string, PrepareItem][] {
  return banksOf(payment).map((bank) => [bank, { txid: payment.id, legs: legsAt(payment, bank).map(legToWire), request_id: payment.requestId }]);
}

function legToWire(leg: Leg): PrepareItem["legs"][number] {
  return { account: leg.account, delta_minor: minorToWire(leg.deltaMinor) };
}

/** A bank's answer as the decision reads it: a prepare that waited past its deadline unsent is the payment's timeout, not a bank's refusal. */
export function voteResultOf(vote: Vote): VoteResult {
  if (vote.yes) return { kind: "yes" };
  return vote.reason === notSentReason ? { kind: "timeout" } : { kind: "no", reason: vote.reason };
}

/** COMMIT only if every participant voted YES in time; otherwise ABORT with the most telling reason. */
export function decisionOf(votes: VoteResult[]): { decision: Decision; failureCode: FailureCode | null; failureMessage: string | null } {
  if (votes.every((v) => v.kind === "yes")) return { decision: "COMMIT", failureCode: null, failureMessage: null };
  const no = votes.find((v) => v.kind === "no");
  if (no && no.kind === "no") {
    const code: FailureCode = no.reason === "insufficient_funds" || no.reason === "account_not_found" ? no.reason : "rejected";
    return { decision: "ABORT", failureCode: code, failureMessage: messages[code] };
  }
  if (votes.some((v) => v.kind === "timeout")) return { decision: "ABORT", failureCode: "prepare_timeout", failureMessage: messages.prepare_timeout };
  const error = votes.find((v) => v.kind === "error");
  assert(error && error.kind === "error", "an ABORT without a NO or a timeout has an error");
  // A bank we could not reach or too busy to take it (its queue full), versus one that answered something we cannot use.
  const code: FailureCode = error.error.code === Code.Unavailable || error.error.code === Code.ResourceExhausted ? "bank_unavailable" : "rejected";
  return { decision: "ABORT", failureCode: code, failureMessage: `${messages[code]}: ${error.error.message}` };
}

const messages: Record<FailureCode, string> = {
  insufficient_funds: "the sender's available balance is too low", // a refund's sender is its refunder
  account_not_found: "an account of this payment no longer exists at its bank",
  bank_unavailable: "a bank could not be reached",
  prepare_timeout: "a bank did not vote within the prepare timeout",
  rejected: "a bank refused the payment",
};
