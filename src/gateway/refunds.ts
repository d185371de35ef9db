// Refunds (SPEC "Refunds"): a refund is a payment from a SUCCEEDED payment's
// payee back to its payer, run by the same coordinator with the same
// idempotency (keys shared with Pay, per user). What it takes from the
// original's remainder is reserved in the transaction that claims it and
// given back in the one that aborts it, so racing refunds never together
// exceed the payment.
import type { Clock, IdSource } from "../lib/clock";
import { assert } from "../lib/assert";
import { AppError, Code } from "../lib/errors";
import { isIdempotencyKey, isNoteLength, notDeceiving } from "../lib/fields";
import { formatMoney, isAmountMinor } from "../lib/money";
import type { GatewayStore, PaymentRow, RefundClaimResult } from "../store/gateway-store";
import { refuseUnlessClaimed, type Payments } from "./payments";

/** A Refund's fields, each checked by the service (service.ts) as it came off the wire. */
export interface RefundInput {
  idempotencyKey: string;
  paymentId: string;
  /** "all": all that remains refundable when the refund is claimed. */
  amountMinor: bigint | "all";
  reason: string;
}

export interface RefundOutcome {
  refund: PaymentRow;
  replayed: boolean;
  /** The original payment as it stands after the refund. */
  original: PaymentRow;
}

export interface RefundsOptions {
  store: GatewayStore;
  payments: Payments;
  clock: Clock;
  ids: IdSource;
}

export class Refunds {
  constructor(private readonly options: RefundsOptions) {}

  async refund(refunder: string, input: RefundInput, requestId: string): Promise<RefundOutcome> {
    const { store, payments } = this.options;
    const key = input.idempotencyKey;
    assert(isIdempotencyKey(key), "the service checks an idempotency key");
    assert(isNoteLength(input.reason), "the service bounds a reason");
    const fingerprint = fingerprintOf(input);
    const seen = await store.paymentByKey(refunder, key);
    if (seen) return this.replayed(seen, fingerprint);
    // Every check before the claim: a refused refund writes nothing, so it
    // can be corrected and sent again with the same key.
    let original: PaymentRow;
    try {
      notDeceiving(input.reason, "reason");
      original = await this.refundable(refunder, input.paymentId);
      if (input.amountMinor !== "all") {
        assert(isAmountMinor(input.amountMinor), "the service checks an amount");
        const remainingMinor = original.amountMinor - original.refundReservedMinor;
        if (input.amountMinor > remainingMinor) throw exceeds(original, remainingMinor);
      }
    } catch (error) {
      // The same key may have been claimed since it was looked up (a retry
      // racing its first send, whose reservation is what no longer fits).
      return this.refuseUnlessClaimed(refunder, key, fingerprint, error);
    }
    const row = {
      id: this.options.ids.next(),
      payer: refunder,
      idempotencyKey: key,
      fingerprint,
      payee: original.payer,
      // Back the way the money came: from the account it reached to the one it left.
      payerBank: original.payeeBank,
      payerAccount: original.payeeAccount,
      payeeBank: original.payerBank,
      payeeAccount: original.payerAccount,
      amountMinor: input.amountMinor === "all" ? original.amountMinor : input.amountMinor,
      currency: original.currency,
      note: input.reason,
      requestId,
      createdAtMs: this.options.clock.nowMs(),
    };
    let claim: RefundClaimResult;
    try {
      claim = await store.claimRefund({ row, refundOf: original.id, allRemaining: input.amountMinor === "all" });
    } catch (error) {
      // Not claimed (a full write queue, say): a resend of a key the first send claimed is answered as that refund.
      return this.refuseUnlessClaimed(refunder, key, fingerprint, error);
    }
    if (claim.kind === "key_used") return this.replayed(claim.row, fingerprint);
    // What no longer fits is refused, unless this key holds a refund by now.
    if (claim.kind === "exceeds") return this.refuseUnlessClaimed(refunder, key, fingerprint, exceeds(original, claim.remainingMinor));
    const refund = await payments.execute(claim.row);
    return { refund, replayed: false, original: (await store.getPayment(original.id))! };
  }

  /** The payment `paymentId` if `refunder` may refund it now; otherwise why not, as SPEC's code. */
  private async refundable(refunder: string, paymentId: string): Promise<PaymentRow> {
    const original = await this.options.store.getPayment(paymentId);
    if (!original) throw new AppError(Code.NotFound, `no payment "${paymentId}"`);
    if (original.payee !== refunder) {
      // The payer knows whom they paid; anyone else is told no more than GetPayment tells them.
      if (original.payer === refunder) throw new AppError(Code.PermissionDenied, `only the payee of payment ${paymentId} (${original.payee}) can refund it`);
      throw new AppError(Code.PermissionDenied, `payment ${paymentId} is not yours: only its payee can refund it`);
    }
    if (original.refundOf !== null) throw new AppError(Code.FailedPrecondition, `payment ${paymentId} is itself a refund (of ${original.refundOf}) and cannot be refunded; nothing of it is refundable`);
    if (original.decision === null) throw new AppError(Code.FailedPrecondition, `payment ${paymentId} is still pending; only a succeeded payment can be refunded, nothing is refundable yet`);
    if (original.decision === "ABORT") throw new AppError(Code.FailedPrecondition, `payment ${paymentId} failed and moved no money; nothing of it is refundable`);
    return original;
  }

  private refuseUnlessClaimed(refunder: string, key: string, fingerprint: string, refusal: unknown): Promise<RefundOutcome> {
    return refuseUnlessClaimed(this.options.store, refunder, key, refusal, (row) => this.replayed(row, fingerprint));
  }

  private async replayed(row: PaymentRow, fingerprint: string): Promise<RefundOutcome> {
    const outcome = await this.options.payments.replay(row, fingerprint);
    // The fingerprint matched, so the row is a refund of this user's.
    return { refund: outcome.payment, replayed: true, original: (await this.options.store.getPayment(outcome.payment.refundOf!))! };
  }
}

function exceeds(original: PaymentRow, remainingMinor: bigint): AppError {
  if (remainingMinor <= 0n) return new AppError(Code.FailedPrecondition, `payment ${original.id} is fully refunded (or its refunds are in progress); nothing remains refundable`);
  return new AppError(Code.FailedPrecondition, `only ${formatMoney(remainingMinor, original.currency)} of payment ${original.id} remains refundable`);
}

/** The parameters a refund's key is bound to; never equal to a payment's (see Payments.replay). */
function fingerprintOf(input: RefundInput): string {
  const amount = input.amountMinor === "all" ? "all" : input.amountMinor.toString();
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(["refund", input.paymentId, amount, input.reason])).digest("hex");
}
