// What the gateway's health service says of "bank:NAME": whether the bank
// answered its last health check. Every bank is asked at start and then
// periodically, over the link the payments use, so the status is right
// before anyone has paid through that bank (an idle channel says nothing).
import * as grpc from "@grpc/grpc-js";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { services } from "../rpc/protos";
import type { HealthStatus } from "../rpc/server";
import { networkReason } from "../rpc/status";
import type { Reply } from "../rpc/wire/services";
import type { BankLinks } from "./bank-links";

const check = services.Health.service.Check!;

export class BankHealth {
  /** Each bank's last probe: its status and, when NOT_SERVING, why. */
  private readonly probed = new Map<string, Probe>();
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
    return this.probed.get(bank)?.status ?? "NOT_SERVING";
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
    const { status, why } = await askHealth(this.banks.get(bank).client);
    const before = this.probed.get(bank);
    this.probed.set(bank, { status, why });
    // Why, in the operator's words (a bank down, or one whose certificate names another bank: a wrong --bank address), and again when that changes.
    if (before?.status !== status || before.why !== why) this.log.info({ event: "bank.health", bank, status, ...(why ? { why } : {}) }, `bank ${bank} ${status}${why ? `: ${why}` : ""}`);
  }
}

interface Probe {
  status: HealthStatus;
  why?: string;
}

/** grpc.health.v1.Health/Check for the whole server, on the channel of `client` (any service's client). */
function askHealth(client: grpc.Client): Promise<Probe> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: "" }, new grpc.Metadata(), { deadline: Date.now() + limits.bankHealthProbeDeadlineMs }, (error, reply?: Reply<"Health", "Check">) => {
      if (error) resolve({ status: "NOT_SERVING", why: networkReason(error.details || error.message) });
      else resolve(reply?.status === "SERVING" ? { status: "SERVING" } : { status: "NOT_SERVING", why: `it answers ${reply?.status ?? "nothing"}` });
    });
  });
}
