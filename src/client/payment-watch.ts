// Tells the user about their payments as the gateway decides them, through
// the server-streaming WatchPayments RPC. After the stream drops (gateway
// restarted, network gone) the owner subscribes again; each subscription
// then lists recent payments to catch up on those decided while it was down.
// A bounded set of ids makes sure each payment is told at most once.
import type { AppError } from "../lib/errors";
import { limits, offlineLimits } from "../lib/limits";
import type { GatewayClient } from "./gateway-client";
import type { WirePayment } from "./outbox";

export interface PaymentWatchEvents {
  /** A decided payment of the user, sent or received; once per payment id. */
  onPayment(payment: WirePayment): void;
  /** The stream ended (undefined: the server closed it cleanly, e.g. at its deadline). */
  onDown(error: AppError | undefined): void;
}

export class PaymentWatch {
  private stream: { cancel(): void } | undefined;
  /** Insertion-ordered, so the oldest id is dropped first when full. */
  private readonly toldIds = new Set<string>();
  /**
   * Payments decided before the watch was created are history, not news. A
   * time rather than "the first catch-up": when the gateway is down at start,
   * the first catch-up that succeeds may already list payments decided since.
   */
  private readonly newsAfterAtMs: number;

  constructor(
    private readonly client: GatewayClient,
    private readonly events: PaymentWatchEvents,
    nowMs: number = Date.now(),
  ) {
    this.newsAfterAtMs = nowMs;
  }

  get active(): boolean {
    return this.stream !== undefined;
  }

  /** Opens the stream, then catches up. Throws when the catch-up listing fails; the stream stays open. */
  async subscribe(): Promise<void> {
    if (this.stream) return;
    this.stream = this.client.stream("WatchPayments", {}, offlineLimits.watchStreamMsMax, {
      onMessage: (payment) => this.consider(payment, false),
      onEnd: (error) => {
        this.stream = undefined;
        this.events.onDown(error);
      },
    });
    await this.catchUp();
  }

  cancel(): void {
    this.stream?.cancel();
    this.stream = undefined;
  }

  private async catchUp(): Promise<void> {
    const reply = await this.client.call(
      "ListPayments",
      { limit: offlineLimits.watchCatchUpPaymentsMax },
      { retry: false, failover: true, deadlineMs: limits.readDeadlineMs },
    );
    // The listing is newest first; tell the oldest first.
    for (const payment of [...reply.payments].reverse()) this.consider(payment, Number(payment.decided_at_ms) < this.newsAfterAtMs);
  }

  private consider(payment: WirePayment, silent: boolean): void {
    if (payment.status === "PENDING") return; // told when it is decided, through the stream
    if (this.toldIds.has(payment.id)) return;
    this.remember(payment.id);
    if (!silent) this.events.onPayment(payment);
  }

  private remember(id: string): void {
    this.toldIds.add(id);
    if (this.toldIds.size <= offlineLimits.notifiedIdsMax) return;
    const oldest = this.toldIds.values().next().value;
    if (oldest !== undefined) this.toldIds.delete(oldest);
  }
}
