// Counters of the payments this gateway process decided, for the Admin
// GetStats call (the dashboard's live payments/s and latency). Always on:
// two additions per decided payment, whatever --metrics says.
import type { PaymentRow } from "../store/gateway-store";
import type { Payments } from "./payments";

export class PaymentStats {
  readonly startedAtMs: number;
  succeeded = 0;
  failed = 0;
  latencyMsSum = 0;

  constructor(payments: Payments, nowMs: number) {
    this.startedAtMs = nowMs;
    payments.finished.on("finished", (row: PaymentRow) => this.count(row));
  }

  private count(row: PaymentRow): void {
    if (row.decision === "COMMIT") this.succeeded += 1;
    else this.failed += 1;
    if (row.decidedAtMs !== null) this.latencyMsSum += Math.max(0, row.decidedAtMs - row.createdAtMs);
  }
}
