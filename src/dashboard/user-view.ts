// A user's view, with their client certificate and the session `login` saved
// in their home: balance, payments and refunds, the offline queue, and a pay
// form that goes through the same outbox as `ministripe pay` (the key is
// stored before the first send; offline, the payment is queued).
import type { GatewayClient } from "../client/gateway-client";
import type { SavedSession } from "../client/home";
import type { Outbox, SendOutcome, WirePayment } from "../client/outbox";
import { payInput } from "../client/pay-input";
import { AppError, Code, toAppError } from "../lib/errors";
import { dashboardLimits } from "../lib/limits";
import type { ClientStore } from "../store/client-store";
import { moneyText, paymentView } from "./wire";

export interface UserParts {
  client: GatewayClient;
  outbox: Outbox;
  store: ClientStore;
  session: SavedSession;
  currency: string;
}

/** What a post answers: an HTTP status and a JSON body the page shows. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const call = { retry: false, deadlineMs: dashboardLimits.callDeadlineMs };

export class UserView {
  private syncing = false;

  constructor(private readonly parts: UserParts) {}

  get username(): string {
    return this.parts.session.username;
  }

  /** Whether the gateway this binary speaks to offers refunds. */
  get refunds(): boolean {
    return typeof (this.parts.client.gateway as unknown as Record<string, unknown>).Refund === "function";
  }

  async state(): Promise<Record<string, unknown>> {
    const base = { view: "user", username: this.username, gateway: this.parts.client.address, refunds: this.refunds, queue: this.queue() };
    try {
      const [balance, list] = await Promise.all([
        this.parts.client.call<{ bank: string; account: string; balance_minor: string; available_minor: string; currency: string }>("GetBalance", {}, call),
        this.parts.client.call<{ payments: WirePayment[] }>("ListPayments", { limit: dashboardLimits.paymentsListed }, call),
      ]);
      return {
        ...base,
        reachable: true,
        balance: { balance: moneyText(balance.balance_minor, balance.currency), available: moneyText(balance.available_minor, balance.currency), bank: balance.bank, account: balance.account },
        payments: (list.payments ?? []).map(paymentView),
      };
    } catch (error) {
      return { ...base, reachable: false, error: toAppError(error).message, balance: null, payments: null };
    }
  }

  private queue(): Record<string, unknown>[] {
    return this.parts.store
      .listVisible()
      .filter((e) => e.username === this.username)
      .map((e) => ({ idempotency_key: e.idempotencyKey, to: e.toUsername, amount: moneyText(e.amountMinor.toString(), this.parts.currency), state: e.state, attempts: e.attempts, last_error: e.lastError }));
  }

  /** The pay form: checked as `pay` checks it, then sent through the outbox with the form's key. */
  async pay(form: Record<string, unknown>): Promise<Answer> {
    const input = payInput(field(form, "to"), field(form, "amount"), field(form, "key") || undefined, field(form, "note"));
    if (!input.key) throw new AppError(Code.InvalidArgument, "the form carries no idempotency key; reload the page");
    const outcome = await this.parts.outbox.pay({ username: this.username, toUsername: input.toUsername, amountMinor: input.amountMinor, note: input.note, key: input.key });
    return answerOf(outcome);
  }

  /** Sends what is queued, when anything is (the gateway may be back). One pass at a time. */
  async syncQueue(): Promise<void> {
    if (this.syncing || this.parts.store.countQueued(this.username) === 0) return;
    this.syncing = true;
    try {
      await this.parts.outbox.sync(this.username, dashboardLimits.callDeadlineMs / 5);
    } finally {
      this.syncing = false;
    }
  }
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
      if (p.status === "SUCCEEDED") return { status: 200, body: { outcome: "succeeded", payment: paymentView(p), message: `paid ${amount} to ${p.payee}${outcome.replayed ? " (already done earlier with this key)" : ""}: payment ${p.id}` } };
      return { status: 200, body: { outcome: "declined", payment: paymentView(p), message: `payment declined: ${p.failure_code}: ${p.failure_message} (payment ${p.id})` } };
    }
    case "queued":
      return { status: 202, body: { outcome: "queued", key: outcome.key, message: `gateway unreachable (${outcome.reason}); payment queued with key ${outcome.key} and will be sent when the gateway is back` } };
    case "needs_login":
      throw new AppError(Code.Unauthenticated, `${outcome.reason}; the payment stays queued (key ${outcome.key}) and is sent after you log in`);
    case "refused":
      throw outcome.error;
  }
}
