// Payments with Stripe's idempotency: the key (scoped to the payer) and a
// fingerprint of the parameters are claimed atomically with the payment row,
// so two requests with one key can never both start a transaction.
import { EventEmitter } from "node:events";
import type { Clock, IdSource } from "../lib/clock";
import { assert } from "../lib/assert";
import { AppError, Code, invalid, quoted, Reason, refusedBeforeClaim } from "../lib/errors";
import { isIdempotencyKey, isNoteLength, isUsername, notDeceiving } from "../lib/fields";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { isAmountMinor } from "../lib/money";
import { failpoint } from "../lib/failpoint";
import type { GatewayStore, NewPaymentRow, PaymentRow } from "../store/gateway-store";
import { isUnrecorded } from "../store/group-commit";
import type { Coordinator } from "./coordinator";

/** A Pay's fields, each checked by the service (service.ts) as it came off the wire. */
export interface PayInput {
  idempotencyKey: string;
  toUsername: string;
  amountMinor: bigint;
  note: string;
}

export interface PayOutcome {
  payment: PaymentRow;
  replayed: boolean;
}

export interface PaymentsOptions {
  store: GatewayStore;
  coordinator: Coordinator;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  currency: string;
}

export class Payments {
  /** Payments this process is executing, so a duplicate can wait for the first outcome. */
  private readonly inFlight = new Map<string, Promise<PaymentRow>>();
  /** Emits "finished" with each decided payment, for WatchPayments. */
  readonly finished = new EventEmitter();
  /** Resolves when the gateway stops, so open watch streams end instead of holding up the shutdown. */
  private readonly stopping = Promise.withResolvers<void>();

  constructor(private readonly options: PaymentsOptions) {}

  get stopped(): Promise<void> {
    return this.stopping.promise;
  }

  stop(): void {
    this.stopping.resolve();
  }

  async pay(payer: string, input: PayInput, requestId: string): Promise<PayOutcome> {
    const { store } = this.options;
    const key = input.idempotencyKey;
    assert(isIdempotencyKey(key), "the service checks an idempotency key");
    const fingerprint = fingerprintOf(input);
    let row: NewPaymentRow;
    try {
      row = await this.newRow(payer, input, key, fingerprint, requestId);
    } catch (error) {
      // A key used before answers as its first use did, whatever is wrong
      // with these parameters (other parameters: FAILED_PRECONDITION).
      return this.refuseUnlessClaimed(payer, key, fingerprint, error);
    }
    // No lookup of the key before the claim: the claim's insert finds a used
    // key itself and returns the row that holds it (one statement a payment,
    // not two; a round trip fewer with PostgreSQL).
    let claim: { claimed: boolean; row: PaymentRow };
    try {
      claim = await store.claim(row);
    } catch (error) {
      // Not claimed (a full write queue, say): a resend of a key the first
      // send claimed is answered as that payment, never refused.
      return this.refuseUnlessClaimed(payer, key, fingerprint, error);
    }
    if (!claim.claimed) return this.replay(claim.row, fingerprint);
    failpoint("gateway.claim.recorded");
    return { payment: await this.execute(claim.row), replayed: false };
  }

  /** Tells watchers (metrics, stats, the payer's and payee's watch) a payment's decision. */
  tell(decided: PaymentRow): void {
    try {
      this.finished.emit("finished", decided);
    } catch (error) {
      // A watcher failing must not turn a decided payment into an error for its payer.
      this.options.log.warn({ event: "watch.notify_failed", txid: decided.id, err: (error as Error).message }, "a payment watcher failed");
    }
  }

  /** Runs a claimed payment (or refund) through the coordinator; tells watchers its outcome. */
  execute(row: PaymentRow): Promise<PaymentRow> {
    const execution = this.options.coordinator.execute(row).then(
      (decided) => {
        this.tell(decided);
        return decided;
      },
      (error: unknown) => {
        throw afterTheClaim(error, row);
      },
    );
    this.inFlight.set(row.id, execution);
    void execution.finally(() => this.inFlight.delete(row.id)).catch(() => undefined);
    return execution;
  }

  /**
   * The payment row, after validation: a refused request is not stored, so
   * it can be corrected and retried with the same key.
   */
  private async newRow(payer: string, input: PayInput, key: string, fingerprint: string, requestId: string): Promise<NewPaymentRow> {
    const { store } = this.options;
    const payerUser = await store.accountOf(payer);
    if (!payerUser) throw new AppError(Code.Unauthenticated, "your user no longer exists");
    assert(isAmountMinor(input.amountMinor), "the service checks an amount");
    assert(isNoteLength(input.note), "the service bounds a note");
    notDeceiving(input.note, "note");
    assert(isUsername(input.toUsername), "the service checks a payee's username");
    const payee = await store.accountOf(input.toUsername);
    if (!payee) throw new AppError(Code.NotFound, `no user "${input.toUsername}"`);
    if (payee.username === payer) throw invalid("to_username", "you cannot pay yourself");
    return {
      id: this.options.ids.next(),
      payer,
      idempotencyKey: key,
      fingerprint,
      payee: payee.username,
      payerBank: payerUser.bank,
      payerAccount: payerUser.account,
      payeeBank: payee.bank,
      payeeAccount: payee.account,
      amountMinor: input.amountMinor,
      currency: this.options.currency,
      note: input.note,
      requestId,
      createdAtMs: this.options.clock.nowMs(),
    };
  }

  private refuseUnlessClaimed(payer: string, key: string, fingerprint: string, refusal: unknown): Promise<PayOutcome> {
    return refuseUnlessClaimed(this.options.store, payer, key, refusal, (row) => this.replay(row, fingerprint));
  }

  /**
   * The key was used before: the original outcome, never a second execution.
   * Payments and refunds share a user's keys, and their fingerprints never
   * match each other's: a key used for one and sent with the other is a mismatch.
   */
  async replay(row: PaymentRow, fingerprint: string): Promise<PayOutcome> {
    if (row.fingerprint !== fingerprint) {
      throw new AppError(Code.FailedPrecondition, "this idempotency key was used with other parameters; use a new key for a new payment or refund");
    }
    if (row.decision !== null) return { payment: row, replayed: true };
    const execution = this.inFlight.get(row.id);
    if (!execution) throw new AppError(Code.Aborted, "a payment with this key is still in progress; retry shortly");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tooLong = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), limits.inFlightWaitMs);
    });
    const outcome = await Promise.race([execution, tooLong]).finally(() => clearTimeout(timer));
    if (!outcome) throw new AppError(Code.Aborted, "a payment with this key is still in progress; retry shortly");
    return { payment: outcome, replayed: true };
  }

  /** A payment the user sent or received, by id or by the user's own idempotency key. */
  async get(username: string, idOrKey: string): Promise<PaymentRow> {
    assert(idOrKey !== "" && idOrKey.length <= limits.idempotencyKeyLengthMax, "the service checks id_or_key");
    const { store } = this.options;
    const row = (await store.getPayment(idOrKey)) ?? (await store.paymentByKey(username, idOrKey));
    if (!row) throw new AppError(Code.NotFound, `no payment ${quoted(idOrKey)}`);
    if (row.payer !== username && row.payee !== username) throw new AppError(Code.PermissionDenied, "that payment is not yours");
    return row;
  }

  /**
   * A page of payments, newest first: the user's own, or (username undefined,
   * the operator) everyone's. `beforeId` must be a payment the caller could
   * see: an unknown one is NOT_FOUND, not silently the newest page.
   */
  async list(username: string | undefined, beforeId: string, limit: number): Promise<PaymentRow[]> {
    const pageSize = pageSizeField(limit);
    const before = await this.listedFrom(username, beforeId);
    return username === undefined ? this.options.store.listAllPayments(before, pageSize) : this.options.store.listPaymentsOf(username, before, pageSize);
  }

  /** Every user's payments matching an id, a key or a username (operators only), a page at a time as `list`. */
  async find(query: string, beforeId: string, limit: number): Promise<PaymentRow[]> {
    const pageSize = pageSizeField(limit);
    return this.options.store.findPayments(query, await this.listedFrom(undefined, beforeId), pageSize);
  }

  /** Where a page starts: undefined for the newest; else a payment the caller (undefined: the operator) could see, or NOT_FOUND. */
  private async listedFrom(username: string | undefined, beforeId: string): Promise<string | undefined> {
    if (!beforeId) return undefined;
    const row = await this.options.store.getPayment(beforeId);
    const visible = row !== undefined && (username === undefined || row.payer === username || row.payee === username);
    if (!visible) throw new AppError(Code.NotFound, `no payment ${quoted(beforeId)} to list from`);
    return beforeId;
  }

  pruneKeys(retentionMs: number): Promise<number> {
    return this.options.store.pruneKeys(retentionMs, this.options.clock.nowMs());
  }
}

function pageSizeField(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw invalid("limit", "a whole number");
  if (limit > limits.pageSizeMax) throw invalid("limit", `at most ${limits.pageSizeMax}`);
  return limit === 0 ? limits.pageSizeDefault : limit;
}

/** The parameters a key is bound to: a retry must repeat them exactly. */
export function fingerprintOf(input: PayInput): string {
  return new Bun.CryptoHasher("sha256").update(JSON.stringify([input.toUsername, input.amountMinor.toString(), input.note])).digest("hex");
}

/**
 * `refusal`, unless the key holds a payment or refund (its first use, or a
 * send that claimed it meanwhile): then the answer is `answer` of that row.
 * So a refusal always means nothing is recorded under its key (lib/errors
 * refusedBeforeClaim), and a client may use the key again.
 */
export async function refuseUnlessClaimed<T>(store: GatewayStore, payer: string, key: string, refusal: unknown, answer: (row: PaymentRow) => Promise<T>): Promise<T> {
  const claimed = await store.paymentByKey(payer, key);
  if (claimed) return answer(claimed);
  throw refusal;
}

/**
 * A failure after the key was claimed (the decision's write refused by a full
 * queue, say) must not read as a refusal: a client frees the key of a refusal
 * (lib/errors refusedBeforeClaim), and this key holds a payment. Said as
 * UNAVAILABLE, the client keeps the key and sends it again, and the gateway
 * answers with the payment's outcome once it is decided (presumed abort).
 */
function afterTheClaim(error: unknown, row: PaymentRow): unknown {
  // "Busy" too: it would tell the payer to try again, as if nothing had been taken; and a write
  // the database failed (the decision's), whose words are of a request nothing was kept of.
  if (!(error instanceof AppError) || !(refusedBeforeClaim.has(error.code) || error.code === Code.ResourceExhausted || isUnrecorded(error))) return error;
  const what = row.refundOf ? "refund" : "payment";
  return new AppError(Code.Unavailable, `the ${what} was taken but not yet decided (${error.message}); send it again with the same key for its outcome`, error, Reason.SendAgain);
}
