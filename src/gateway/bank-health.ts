// What the gateway's health service says of "bank:NAME": whether the bank
// answered its last health check. Every bank is asked at start and then
// periodically, over the link the payments use, so the status is right
// before anyone has paid through that bank (an idle channel says nothing).
import * as grpc from "@grpc/grpc-js";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { services } from "../rpc/protos";
import type { HealthStatus } from "../rpc/server";
import type { Reply } from "../rpc/wire/services";
import type { BankLinks } from "./bank-links";

const check = services.Health.service.Check!;

export class BankHealth {
  private readonly statuses = new Map<string, HealthStatus>();
  private readonly inFlight = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly banks: BankLinks,
    private readonly log: Logger,
  ) {}

  /** Probes every bank now and every limits.bankHealthProbeMs after. */
  start(): void {
    this.probeAll();
    this.timer = setInterval(() => this.probeAll(), limits.bankHealthProbeMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** NOT_SERVING until the bank has answered a probe, and from its first failed one. */
  status(bank: string): HealthStatus {
    return this.statuses.get(bank) ?? "NOT_SERVING";
  }

  private probeAll(): void {
    for (const bank of this.banks.names()) {
      // One probe per bank at a time: a bank slower than the interval is not asked twice.
      if (this.inFlight.has(bank)) continue;
      this.inFlight.add(bank);
      void this.probe(bank).finally(() => this.inFlight.delete(bank));
    }
  }

  private async probe(bank: string): Promise<void> {
    const status = await askHealth(this.banks.get(bank).client);
    const before = this.statuses.get(bank);
    this.statuses.set(bank, status);
    if (before !== status) this.log.info({ event: "bank.health", bank, status }, `bank ${bank} ${status}`);
  }
}

/** grpc.health.v1.Health/Check for the whole server, on the channel of `client` (any service's client). */
function askHealth(client: grpc.Client): Promise<HealthStatus> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: "" }, new grpc.Metadata(), { deadline: Date.now() + limits.bankHealthProbeDeadlineMs }, (error, reply?: Reply<"Health", "Check">) => {
      resolve(!error && reply?.status === "SERVING" ? "SERVING" : "NOT_SERVING");
    });
  });
}
