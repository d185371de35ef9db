// The operator's view, through the gateway's Admin service and health
// service with the admin certificate: banks and their health, live
// payments/s and latency, open holds and in-doubt, the latest audit, search.
import type { GatewayClient } from "../client/gateway-client";
import { dashboardLimits } from "../lib/limits";
import { unaryCall } from "../rpc/channel";
import type { ServiceClient } from "../rpc/wire/services";
import { moneyText, paymentView } from "./wire";

export interface BankView {
  name: string;
  health: string;
  open_holds?: number;
  in_doubt?: number;
}

export interface AuditView {
  at_ms: number;
  ok?: boolean;
  total?: string;
  loaded_total?: string;
  succeeded?: number;
  failed?: number;
  pending?: number;
  violations?: string[];
  mismatches?: string[];
  error?: string;
}

const call = { retry: false, deadlineMs: dashboardLimits.callDeadlineMs };

export class AdminView {
  latestAudit: AuditView | undefined;

  constructor(
    private readonly client: GatewayClient,
    private readonly health: ServiceClient<"Health">,
  ) {}

  get gateway(): string {
    return this.client.address;
  }

  async state(): Promise<Record<string, unknown>> {
    const [banks, payments] = await Promise.all([this.banks(), this.search("")]);
    return { view: "admin", gateway: this.client.address, banks, audit: this.latestAudit ?? null, payments };
  }

  /** Each bank's health (the gateway's health service) and, read from the bank through the gateway, its holds. */
  async banks(): Promise<BankView[]> {
    const stats = await this.client.callAdmin("GetStats", { banks: true }, call);
    return Promise.all(
      stats.banks.map(async (bank) => ({
        name: bank.bank,
        health: await this.bankHealth(bank.bank),
        open_holds: bank.reachable ? bank.open_holds : undefined,
        in_doubt: bank.reachable ? bank.in_doubt : undefined,
      })),
    );
  }

  private async bankHealth(bank: string): Promise<string> {
    try {
      const reply = await unaryCall(this.health, "Check", { service: `bank:${bank}` }, { deadlineMs: dashboardLimits.callDeadlineMs });
      return reply.status;
    } catch {
      return "UNKNOWN";
    }
  }

  /** The gateway's counters now: the live figures are differences of two readings. */
  async counters(): Promise<{ atMs: number; decided: number; latencyMsSum: number }> {
    const stats = await this.client.callAdmin("GetStats", { banks: false }, call);
    return { atMs: Number(stats.now_ms), decided: Number(stats.payments_succeeded) + Number(stats.payments_failed), latencyMsSum: Number(stats.latency_ms_sum) };
  }

  /** The newest payments, or those whose id, key or user is `query`. */
  async search(query: string): Promise<Record<string, unknown>[]> {
    const reply = query
      ? await this.client.callAdmin("FindPayments", { query, limit: dashboardLimits.paymentsListed }, call)
      : await this.client.callAdmin("ListAllPayments", { limit: dashboardLimits.paymentsListed }, call);
    return (reply.payments ?? []).map(paymentView);
  }

  async runAudit(nowMs: number): Promise<AuditView> {
    try {
      const r = await this.client.callAdmin("Audit", {}, { retry: false, deadlineMs: dashboardLimits.callDeadlineMs * 6 });
      this.latestAudit = {
        at_ms: nowMs,
        ok: r.ok,
        total: moneyText(r.total_minor, r.currency),
        loaded_total: moneyText(r.loaded_total_minor, r.currency),
        succeeded: r.payments_succeeded,
        failed: r.payments_failed,
        pending: r.payments_pending,
        violations: r.violations ?? [],
        mismatches: r.mismatches ?? [],
      };
    } catch (error) {
      this.latestAudit = { at_ms: nowMs, error: (error as Error).message };
    }
    return this.latestAudit;
  }
}

/** Turns successive counter readings into payments/s and mean latency over each interval. */
export class LiveRate {
  private last: { atMs: number; decided: number; latencyMsSum: number } | undefined;

  next(reading: { atMs: number; decided: number; latencyMsSum: number }): { rate_per_s: number; latency_ms: number } | undefined {
    const last = this.last;
    this.last = reading;
    if (!last || reading.atMs <= last.atMs || reading.decided < last.decided) return undefined;
    const decided = reading.decided - last.decided;
    return {
      rate_per_s: (decided * 1000) / (reading.atMs - last.atMs),
      latency_ms: decided === 0 ? 0 : (reading.latencyMsSum - last.latencyMsSum) / decided,
    };
  }
}
