// The gateway's own Prometheus metrics: decided payments by status and
// failure code, their latency, batch sizes (bank Exchange calls, gateway
// write transactions), phase-two resends and, with several gateways,
// takeovers. Labels come from fixed sets only.
import type { Metrics } from "../rpc/metrics";
import { batchSizeBuckets, latencySecondsBuckets } from "../lib/metric-buckets";
import type { GatewayStore, PaymentRow } from "../store/gateway-store";
import type { BankLinks } from "./bank-links";
import type { Coordinator } from "./coordinator";
import type { Payments } from "./payments";
import type { SeveralGateways } from "./several";

export interface GatewayParts {
  payments: Payments;
  coordinator: Coordinator;
  banks: BankLinks;
  store: GatewayStore;
  /** With several gateways on PostgreSQL: this one's takeovers of silent ones. */
  several?: SeveralGateways;
}

export function instrumentGateway(metrics: Metrics, parts: GatewayParts): void {
  const decided = metrics.counter("ministripe_payments_total", "Payments decided by this gateway, by status and failure code.", ["status", "failure_code"]);
  const latency = metrics.histogram("ministripe_payment_duration_seconds", "Time from a payment's claim to its decision, in seconds.", ["status"], latencySecondsBuckets);
  const batches = metrics.histogram("ministripe_batch_size", "Items per batch: bank Exchange calls and the gateway's write transactions.", ["batch"], batchSizeBuckets);
  const resends = metrics.counter("ministripe_phase_two_resends_total", "Payments whose phase two (commit or abort) was sent again by the resend driver.");
  parts.payments.finished.on("finished", (row: PaymentRow) => {
    const status = row.decision === "COMMIT" ? "SUCCEEDED" : "FAILED";
    decided.inc({ status, failure_code: row.failureCode ?? "" });
    if (row.decidedAtMs !== null) latency.observe({ status }, Math.max(0, row.decidedAtMs - row.createdAtMs) / 1000);
  });
  const exchange = batches.labels({ batch: "bank_exchange" });
  for (const name of parts.banks.names()) parts.banks.get(name).observeBatches((size) => exchange.observe(size));
  const writes = batches.labels({ batch: "gateway_writes" });
  parts.store.observeWriteBatches?.((size) => writes.observe(size));
  parts.coordinator.onResent = (payments) => resends.inc(payments);
  for (const status of ["SUCCEEDED", "FAILED"]) latency.labels({ status });
  if (parts.several) {
    const takeovers = metrics.counter("ministripe_takeovers_total", "Times this gateway adopted the unfinished payments of a gateway silent longer than --takeover-after.");
    const adopted = metrics.counter("ministripe_takeover_payments_total", "Payments of silent gateways this gateway adopted and finished.");
    parts.several.onTakeover = (payments) => {
      takeovers.inc();
      adopted.inc(payments);
    };
  }
}
