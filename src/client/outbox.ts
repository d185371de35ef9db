// Payments and refunds from the user's side. Every one is written to the
// outbox with its idempotency key before its first send; an entry whose
// outcome is unknown (gateway unreachable, reply lost) stays queued and is
// re-sent with the same key, so the gateway runs it at most once. A refund's
// amount is fixed in its entry, so its key always means one amount.
import { backoffMs, sleepMs, systemClock, type Clock } from "../lib/clock";
import { AppError, Code, invalid, Reason, refusedBeforeClaim } from "../lib/errors";
import { limits, offlineLimits } from "../lib/limits";
import { isRefusal, outcomeUnknown, type ClientStore, type OutboxEntry } from "../store/client-store";
import type { PaymentReceived } from "../rpc/wire/messages";
import { present } from "../rpc/wire/present";
import { isGatewayAway, type GatewayClient } from "./gateway-client";

/** A payment as the gateway sends it (refunds and GetPayment's list of refunds included). */
export type WirePayment = PaymentReceived;

/**
 * What a replay adds to an outcome's line. True whether the earlier request
 * was another command's or this one's own try whose reply was lost: the key
 * was recorded already, so nothing ran again. A decline replayed is the
 * first outcome, not a judgement of now (the balance may since allow it).
 */
export function replayNote(replayed: boolean, status: string): string {
  if (!replayed) return "";
  return status === "SUCCEEDED" ? " (recorded under this key already; it moved money once)" : " (recorded under this key already: that was its outcome then; a new attempt needs a new key)";
}

/** When a queued entry goes out, in the words of its line: not "when the gateway is back" where the gateway answered (a key in flight elsewhere, a bank away); unknown (a send another process made) reads as away, as before. */
export function queuedNote(noun: string, outcome: { key: string; gatewayAway?: boolean }): string {
  const when = outcome.gatewayAway === false ? "again with the same key by the next command, sync or the shell" : "when the gateway is back";
  return `${noun} queued with key ${outcome.key} and will be sent ${when}`;
}

/** Every outcome names the entry's key and, for a refund, the payment it refunds. */
export type SendOutcome = { key: string; refundOf?: string } & (
  | { kind: "final"; payment: WirePayment; replayed: boolean; /** A refund's original, as it stands after it. */ original?: WirePayment }
  | { kind: "queued"; reason: string; /** The gateway could not be reached or did not answer in time: a pass over the queue stops here. */ gatewayAway?: boolean }
  | { kind: "needs_login"; reason: string }
  | { kind: "refused"; error: AppError }
);

export interface PayRequest {
  username: string;
  toUsername: string;
  amountMinor: bigint;
  note: string;
  key?: string;
}

export interface RefundRequest {
  username: string;
  paymentId: string;
  /** Fixed before it is queued: the caller resolves "all that remains". */
  amountMinor: bigint;
  reason: string;
  /** The payer the refund goes back to, when known. */
  toUsername?: string;
  key?: string;
}

type NewEntry = { idempotencyKey: string; username: string; toUsername: string; amountMinor: bigint; note: string; refundOf: string | null };

export class Outbox {
  readonly owner = `${process.pid}-${Bun.randomUUIDv7()}`;

  constructor(
    private readonly store: ClientStore,
    private readonly client: GatewayClient,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Stores the payment, then sends it with retries; an unknown outcome leaves it queued. */
  async pay(request: PayRequest): Promise<SendOutcome> {
    // Known without the gateway: offline it would be queued (exit 75) and refused later.
    if (request.toUsername === request.username) throw invalid("--to", "you cannot pay yourself");
    const key = request.key ?? crypto.randomUUID();
    return this.queueAndSend({ idempotencyKey: key, username: request.username, toUsername: request.toUsername, amountMinor: request.amountMinor, note: request.note, refundOf: null });
  }

  /** Stores the refund, then sends it with retries; an unknown outcome leaves it queued. */
  async refund(request: RefundRequest): Promise<SendOutcome> {
    const key = request.key ?? crypto.randomUUID();
    return this.queueAndSend({ idempotencyKey: key, username: request.username, toUsername: request.toUsername ?? "", amountMinor: request.amountMinor, note: request.reason, refundOf: request.paymentId });
  }

  /**
   * Stores the entry (claimed by this process) and sends it. A key already
   * here binds it: other parameters are refused; the same ones show the
   * outcome it had, or, while another process is sending it, wait for that
   * send (at most offlineLimits.sendWaitMsMax) and show its outcome. A key
   * here only as a refusal binds nothing: that entry goes and this one is sent.
   */
  private async queueAndSend(entry: NewEntry): Promise<SendOutcome> {
    const key = entry.idempotencyKey;
    const refundOf = entry.refundOf ?? undefined;
    /** The attempts of the entry when another process was seen sending it. */
    let attemptsSeenSending: number | undefined;
    const turnsMax = Math.ceil(offlineLimits.sendWaitMsMax / offlineLimits.sendWaitPollMs);
    for (let turn = 0; turn <= turnsMax; turn++) {
      const nowMs = this.clock.nowMs();
      const added = this.store.add(entry, this.owner, nowMs, limits.queueClaimMs, limits.queueEntriesMax);
      // Only an entry this process has just added is known never to have been sent.
      if (added === "added") return this.send(this.store.get(key)!, true, { neverSent: true });
      if (added === "full") throw queueFull(entry);
      const existing = this.store.get(key);
      if (!existing) continue; // refused and released meanwhile: add it again
      if (isRefusal(existing)) {
        this.store.releaseRefused(key);
        continue;
      }
      if (!sameRequest(existing, entry)) {
        throw new AppError(Code.FailedPrecondition, `key ${key} was already used for another payment or refund; use a new key`);
      }
      // Finished here before (or by the send waited for): show that outcome; never send it again.
      if (existing.state !== "queued") return existing.paymentId ? this.lookUp(existing, existing.paymentId) : this.send(existing, true);
      // The send waited for left it queued (gateway unreachable, undecided): that outcome is this one's too.
      if (attemptsSeenSending !== undefined && existing.attempts > attemptsSeenSending) return { kind: "queued", key, refundOf, reason: existing.lastError ?? "the gateway has not answered yet" };
      if (this.store.claim(key, this.owner, nowMs, limits.queueClaimMs, (owner) => this.ownerAlive(owner))) return this.send(this.store.get(key)!, true);
      // Another process is sending it now: wait for its outcome rather than say "queued".
      attemptsSeenSending ??= existing.attempts;
      if (turn < turnsMax) await sleepMs(offlineLimits.sendWaitPollMs);
    }
    const seconds = Math.round(offlineLimits.sendWaitMsMax / 1000);
    return { kind: "queued", key, refundOf, reason: `another client process has been sending this for over ${seconds} s` };
  }

  /** A payment that already ran, as the gateway knows it now. */
  private async lookUp(entry: OutboxEntry, idOrKey: string): Promise<SendOutcome> {
    const payment = await this.client.call("GetPayment", { id_or_key: idOrKey }, { retry: true });
    if (payment.status !== "PENDING" && entry.state === "queued") this.finishWith(entry.idempotencyKey, payment);
    const refundOf = entry.refundOf ?? undefined;
    return payment.status === "PENDING" ? { kind: "queued", key: entry.idempotencyKey, refundOf, reason: "the gateway has not decided yet" } : { kind: "final", key: entry.idempotencyKey, refundOf, payment, replayed: true };
  }

  /**
   * Sends every due queued entry once (every queued entry when `now`); returns
   * each outcome. Waits at most `blockMs` for the gateway.
   */
  async sync(username: string | undefined, blockMs: number, now = false): Promise<SendOutcome[]> {
    if (this.store.countQueued(username) === 0) return [];
    const dueByAtMs = now ? Number.MAX_SAFE_INTEGER : this.clock.nowMs();
    if (!(await this.client.reachable(blockMs))) return this.postponeDue(username, dueByAtMs);
    const outcomes: SendOutcome[] = [];
    const tried = new Set<string>();
    // One entry claimed at a time: two processes syncing one home share the
    // work, and a process killed mid-sync holds at most one claim.
    for (let sent = 0; sent < offlineLimits.syncEntriesMax; sent++) {
      const [entry] = this.store.claimDue(this.owner, this.clock.nowMs(), limits.queueClaimMs, 1, username, dueByAtMs, (owner) => this.ownerAlive(owner), tried);
      if (!entry) break;
      tried.add(entry.idempotencyKey); // sent once per sync, even if it stays queued
      const outcome = await this.send(entry, false);
      outcomes.push(outcome);
      // Every further entry would wait as long for the same answer (a command's
      // flush took 10 s per entry): they stay queued as they are, their
      // attempts not counted, for the next pass. This one stays bound to its key.
      if (outcome.kind === "queued" && outcome.gatewayAway) break;
    }
    return outcomes;
  }

  /** The gateway is unreachable: each due entry counts an attempt and waits for its backoff. */
  private postponeDue(username: string | undefined, dueByAtMs: number): SendOutcome[] {
    const due = this.store.claimDue(this.owner, this.clock.nowMs(), limits.queueClaimMs, offlineLimits.syncEntriesMax, username, dueByAtMs, (owner) => this.ownerAlive(owner));
    for (const entry of due) this.requeue(entry, "gateway unreachable");
    return due.map((entry) => ({ kind: "queued" as const, key: entry.idempotencyKey, refundOf: entry.refundOf ?? undefined, reason: "gateway unreachable" }));
  }

  /** Is the process holding a claim still running? Owners are "PID-UUID" of processes on this machine. */
  ownerAlive(owner: string): boolean {
    if (owner === this.owner) return true;
    const pid = Number(owner.split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0) return true; // unknown shape: wait for the claim to expire
    if (pid === process.pid) return true; // another outbox in this process: it is alive
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // ESRCH: no such process. EPERM means it exists (another user's): alive.
      return (error as NodeJS.ErrnoException).code !== "ESRCH";
    }
  }

  /**
   * `neverSent`: the entry was added by this call, so no process can have
   * sent it before. An entry found in the queue may have been sent by a
   * process killed before it learnt the outcome (its attempts still 0).
   */
  private async send(entry: OutboxEntry, retry: boolean, { neverSent = false } = {}): Promise<SendOutcome> {
    const key = entry.idempotencyKey;
    const refundOf = entry.refundOf ?? undefined;
    if (entry.createdAtMs < this.clock.nowMs() - offlineLimits.resendBlindMsMax) return this.settleOld(entry);
    try {
      const { payment, replayed, original } = await this.call(entry, retry);
      if (payment.status === "PENDING") {
        this.requeue(entry, "the gateway has not decided yet");
        return { kind: "queued", key, refundOf, reason: "the gateway has not decided yet" };
      }
      this.finishWith(key, payment);
      return { kind: "final", key, refundOf, payment, replayed, original };
    } catch (error) {
      const appError = error as AppError;
      // The gateway refused it before claiming the key (lib/errors refusedBeforeClaim; it looks a key up before it refuses, so a request that ran is answered as a replay).
      // Or no secure connection was made anywhere (certificates that do not fit) on the send of an entry never sent: nothing reached a gateway.
      // An entry that may have been sent before may have: it stays, with its key.
      if (refusedBeforeClaim.has(appError.code) || (appError.reason === Reason.CertificateMismatch && neverSent)) {
        // Bad input, unknown payee, nothing left to refund, key bound to
        // other parameters: final, nothing moved, and the gateway recorded
        // nothing for this request under its key. So the key is free here
        // too: a corrected request with it is sent, and the gateway answers.
        this.store.release(key, this.owner);
        return { kind: "refused", key, refundOf, error: appError };
      }
      // Anything else (a session refused, unreachable, in flight, cancelled,
      // internal) may have run: the outcome is unknown, so the entry stays.
      return this.kept(entry, appError);
    }
  }

  /** The entry stays queued, to be sent again with its key: after a login when the session was refused, else after a backoff. */
  private kept(entry: OutboxEntry, error: AppError): SendOutcome {
    this.requeue(entry, error.message);
    const outcome = { key: entry.idempotencyKey, refundOf: entry.refundOf ?? undefined, reason: error.message };
    // Certificates that do not fit are not a session to renew: they are set right, then it is sent again.
    const needsLogin = error.code === Code.Unauthenticated && error.reason !== Reason.CertificateMismatch;
    return needsLogin ? { kind: "needs_login", ...outcome } : { kind: "queued", ...outcome, gatewayAway: isGatewayAway(error) };
  }

  /** One send of an entry: Pay, or Refund for a refund. */
  private async call(entry: OutboxEntry, retry: boolean): Promise<{ payment: WirePayment; replayed: boolean; original?: WirePayment }> {
    const key = entry.idempotencyKey;
    if (entry.refundOf === null) {
      const reply = await this.client.call("Pay", { idempotency_key: key, to_username: entry.toUsername, amount_minor: entry.amountMinor.toString(), note: entry.note }, { retry, failover: true });
      return { payment: present(reply.payment, "payment"), replayed: reply.replayed };
    }
    const reply = await this.client.call(
      "Refund",
      { idempotency_key: key, payment_id: entry.refundOf, amount_minor: entry.amountMinor.toString(), reason: entry.note },
      { retry, failover: true },
    );
    return { payment: present(reply.refund, "refund"), replayed: reply.replayed, original: present(reply.original, "original") };
  }

  /** Written unreported: whoever tells the user the outcome marks it (ClientStore.markReported); until then `queue` and the next command show it. */
  private finishWith(key: string, payment: WirePayment): void {
    this.store.finish(key, { state: payment.status === "SUCCEEDED" ? "succeeded" : "failed", paymentId: payment.id, failureCode: payment.failure_code || null, error: payment.failure_message || null, reported: false, finishedBy: this.owner }, this.clock.nowMs());
  }

  /** An entry queued longer than the gateway surely keeps keys: look it up, never send it blind. */
  private async settleOld(entry: OutboxEntry): Promise<SendOutcome> {
    try {
      return await this.lookUp(entry, entry.idempotencyKey);
    } catch (error) {
      const appError = error as AppError;
      if (appError.code !== Code.NotFound) return this.kept(entry, appError);
      const what = entry.refundOf === null ? "payment" : "refund";
      const unknown = new AppError(Code.Unknown, `${what} ${entry.idempotencyKey} was queued too long ago for the gateway to remember its key; check "ministripe payments" before sending it again`);
      this.store.finish(entry.idempotencyKey, { state: "failed", paymentId: null, failureCode: outcomeUnknown, error: unknown.message, reported: false, finishedBy: this.owner }, this.clock.nowMs());
      return { kind: "refused", key: entry.idempotencyKey, refundOf: entry.refundOf ?? undefined, error: unknown };
    }
  }

  private requeue(entry: OutboxEntry, reason: string): void {
    const nextAttemptAtMs = this.clock.nowMs() + backoffMs(entry.attempts, limits.queueRetryMsMin, limits.queueRetryMsMax);
    this.store.retryLater(entry.idempotencyKey, this.owner, reason, nextAttemptAtMs);
  }
}

/**
 * The queue holds limits.queueEntriesMax entries: a new one is refused before
 * it is stored or sent (exit 4, "nothing was queued"), since it could be sent
 * only by being stored first. The queue fills only while the gateway is away.
 */
function queueFull(entry: NewEntry): AppError {
  const what = entry.refundOf === null ? "payment" : "refund";
  return new AppError(Code.Unavailable, `the offline queue is full (${limits.queueEntriesMax} payments and refunds wait to be sent); this ${what} was not queued or sent: run "ministripe sync" once the gateway is reachable, then try again`);
}

/** Is a new request the one an existing entry with its key holds? A refund's payer may have been unknown when it was queued. */
function sameRequest(existing: OutboxEntry, entry: NewEntry): boolean {
  if (existing.username !== entry.username || existing.refundOf !== entry.refundOf) return false;
  if (existing.amountMinor !== entry.amountMinor || existing.note !== entry.note) return false;
  return entry.refundOf !== null || existing.toUsername === entry.toUsername;
}
