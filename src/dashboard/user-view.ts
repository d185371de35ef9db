// A user's view, with their client certificate and the session `login` saved
// in their home: balance, payments and refunds, the offline queue, and a pay
// form that goes through the same outbox as `ministripe pay` (the key is
// stored before the first send; offline, the payment is queued).
import { isGatewayAway, type GatewayClient } from "../client/gateway-client";
import type { ClientHome, SavedSession } from "../client/home";
import { queuedNote, replayNote, type Outbox, type SendOutcome } from "../client/outbox";
import { payInput } from "../client/pay-input";
import { allThatRemains, refundLine } from "../client/refund-amount";
import { Resender } from "../client/resender";
import { AppError, Code, toAppError } from "../lib/errors";
import { isIdempotencyKey, noteTextField, transactionIdField } from "../lib/fields";
import { dashboardLimits } from "../lib/limits";
import { parseAmountMinor } from "../lib/money";
import type { Logger } from "../lib/log";
import type { ClientStore } from "../store/client-store";
import { moneyText, pageCall, paymentView } from "./wire";

export interface UserParts {
  client: GatewayClient;
  outbox: Outbox;
  store: ClientStore;
  session: SavedSession;
  home: ClientHome;
  log: Logger;
  currency: string;
}

/** What a post answers: an HTTP status and a JSON body the page shows. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}


export class UserView {
  /** Newest first: queued payments' outcomes and payments received, as the shell tells them. */
  private readonly notices: { at_ms: number; text: string }[] = [];
  /** Sends queued payments as soon as the gateway is back (the shell's worker), and watches for payments. */
  private readonly resender: Resender;

  constructor(private readonly parts: UserParts) {
    const notice = (text: string) => {
      this.notices.unshift({ at_ms: Date.now(), text });
      this.notices.length = Math.min(this.notices.length, dashboardLimits.noticesKept);
    };
    this.resender = new Resender({
      client: parts.client,
      outbox: parts.outbox,
      home: parts.home,
      username: parts.session.username,
      log: parts.log,
      sentHere: (key) => parts.store.get(key) !== undefined,
      events: {
        onOutcome: (outcome) => {
          notice(outcomeText(outcome));
          parts.store.markReported([outcome.key]); // told on the page: it leaves the queue's list
        },
        onPayment: (p) => notice(p.payee === this.username ? `received ${moneyText(p.amount_minor, p.currency)} from ${p.payer} (payment ${p.id})` : `payment ${p.id} to ${p.payee}: ${p.status}`),
        onConnectivity: (up) => notice(up ? "gateway reachable again; sending queued payments" : "gateway unreachable; payments are queued and sent when it is back"),
        onNeedsLogin: (reason) => notice(`${reason}: run "ministripe login --username ${this.username}"; queued payments are kept`),
        onWatchRefused: (reason) => notice(`payments received are not shown here for now (${reason}); they are once another shell or dashboard of ${this.username} closes`),
      },
    });
  }

  start(): void {
    this.resender.start();
  }

  stop(): Promise<void> {
    return this.resender.stop(dashboardLimits.callDeadlineMs);
  }

  get username(): string {
    return this.parts.session.username;
  }

  async state(): Promise<Record<string, unknown>> {
    const base = { view: "user", username: this.username, gateway: this.parts.client.address, queue: this.queue(), notices: this.notices, page_size: dashboardLimits.paymentsListed };
    // Each shown when it comes: the balance needs the user's bank, the list only the gateway.
    const [balance, list] = await Promise.allSettled([this.parts.client.call("GetBalance", {}, pageCall), this.payments("")]);
    const failed = [balance, list].find((result) => result.status === "rejected");
    const error = failed ? toAppError(failed.reason) : undefined;
    return {
      ...base,
      // The gateway away is one thing (payments are queued); a refusal (an expired session) or the bank away another: the page says which.
      reachable: error === undefined || !isGatewayAway(error),
      ...(error ? { error: error.message } : {}),
      balance: balance.status === "fulfilled" ? { balance: moneyText(balance.value.balance_minor, balance.value.currency), available: moneyText(balance.value.available_minor, balance.value.currency), bank: balance.value.bank, account: balance.value.account } : null,
      payments: list.status === "fulfilled" ? list.value : null,
    };
  }

  /** A page of the user's payments and refunds older than `beforeId` (the last one of the page shown). */
  async payments(beforeId: string): Promise<Record<string, unknown>[]> {
    const reply = await this.parts.client.call("ListPayments", { limit: dashboardLimits.paymentsListed, before_id: beforeId }, pageCall);
    return (reply.payments ?? []).map(paymentView);
  }

  private queue(): Record<string, unknown>[] {
    return this.parts.store
      .listVisible()
      .filter((e) => e.username === this.username)
      .map((e) => ({ idempotency_key: e.idempotencyKey, to: e.toUsername, refund_of: e.refundOf ?? undefined, amount: moneyText(e.amountMinor.toString(), this.parts.currency), state: e.state, attempts: e.attempts, last_error: e.lastError }));
  }

  /** The pay form: checked as `pay` checks it, then sent through the outbox with the form's key. */
  async pay(form: Record<string, unknown>): Promise<Answer> {
    const input = payInput(field(form, "to"), field(form, "amount"), field(form, "key") || undefined, field(form, "note"));
    if (!input.key) throw new AppError(Code.InvalidArgument, "the form carries no idempotency key; reload the page");
    const outcome = await this.parts.outbox.pay({ username: this.username, toUsername: input.toUsername, amountMinor: input.amountMinor, note: input.note, key: input.key });
    if (outcome.kind === "queued") this.resender.nudge();
    const answer = answerOf(outcome);
    this.parts.store.markReported([outcome.key]); // the page shows the answer (an entry still queued stays listed)
    return answer;
  }

  /**
   * The refund button: as `ministripe refund` does it, through the outbox with
   * the button's key; the amount is fixed before it is queued (all that
   * remains, asked of the gateway, when none is given).
   */
  async refund(form: Record<string, unknown>): Promise<Answer> {
    const paymentId = field(form, "payment_id");
    transactionIdField(paymentId, "PAYMENT_ID", `"${paymentId.slice(0, 64)}" is not a payment id`);
    const key = field(form, "key");
    if (!isIdempotencyKey(key)) throw new AppError(Code.InvalidArgument, "the form carries no idempotency key; reload the page");
    const reason = noteTextField(field(form, "reason"), "--reason");
    const amountText = field(form, "amount").trim();
    const fixed = amountText ? { amountMinor: parseAmountMinor(amountText, "--amount") } : await allThatRemains(this.parts.store, this.parts.client, paymentId, key, pageCall);
    const outcome = await this.parts.outbox.refund({ username: this.username, paymentId, reason, key, ...fixed });
    if (outcome.kind === "queued") this.resender.nudge();
    const answer = refundAnswerOf(outcome);
    this.parts.store.markReported([outcome.key]); // the page shows the answer (an entry still queued stays listed)
    return answer;
  }

}

/** A refund's outcome in the words `ministripe refund` prints. */
function refundAnswerOf(outcome: SendOutcome): Answer {
  if (outcome.kind !== "final") {
    if (outcome.kind === "queued") return { status: 202, body: { outcome: "queued", key: outcome.key, message: `${outcome.reason}; ${queuedNote("refund", outcome)}` } };
    return answerOf(outcome);
  }
  const r = outcome.payment;
  const message = refundLine(r, outcome.replayed, outcome.original);
  return { status: 200, body: { outcome: r.status === "SUCCEEDED" ? "succeeded" : "declined", payment: paymentView(r), message } };
}

function outcomeText(outcome: SendOutcome): string {
  if (outcome.kind === "final") {
    const p = outcome.payment;
    const result = p.status === "SUCCEEDED" ? "succeeded" : `failed: ${p.failure_code} (${p.failure_message})`;
    return `queued payment ${outcome.key}: ${moneyText(p.amount_minor, p.currency)} to ${p.payee} ${result} (payment ${p.id})`;
  }
  if (outcome.kind === "refused") return `queued payment ${outcome.key} refused by the gateway: ${outcome.error.message}`;
  return `queued payment ${outcome.key} still waiting: ${outcome.reason}`;
}

function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : "";
}

/** The outcome in the words `ministripe pay` prints. */
function answerOf(outcome: SendOutcome): Answer {
  switch (outcome.kind) {
    case "final": {
      const p = outcome.payment;
      const amount = moneyText(p.amount_minor, p.currency);
      if (p.status === "SUCCEEDED") return { status: 200, body: { outcome: "succeeded", payment: paymentView(p), message: `paid ${amount} to ${p.payee}${replayNote(outcome.replayed, p.status)}: payment ${p.id}` } };
      return { status: 200, body: { outcome: "declined", payment: paymentView(p), message: `payment declined: ${p.failure_code}: ${p.failure_message} (payment ${p.id})${replayNote(outcome.replayed, p.status)}` } };
    }
    case "queued":
      return { status: 202, body: { outcome: "queued", key: outcome.key, message: `${outcome.reason}; ${queuedNote("payment", outcome)}` } };
    case "needs_login":
      throw new AppError(Code.Unauthenticated, `${outcome.reason}; the payment stays queued (key ${outcome.key}) and is sent after you log in`);
    case "refused":
      throw outcome.error;
  }
}
