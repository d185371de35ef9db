// The operator's view, through the gateway's Admin service and health
// service with the admin certificate: banks and their health, live
// payments/s and latency, open holds and in-doubt, the latest audit, search.
import type { GatewayClient } from "../client/gateway-client";
import { AppError, Code } from "../lib/errors";
import { dashboardLimits } from "../lib/limits";
import { unaryCall } from "../rpc/channel";
import type { ServiceClient } from "../rpc/wire/services";
import { moneyText, pageCall, paymentView } from "./wire";

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


/** One gateway's counters at one moment, by its own clock. */
export interface CounterReading {
  atMs: number;
  decided: number;
  latencyMsSum: number;
}

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
    return { view: "admin", gateway: this.client.address, banks, audit: this.latestAudit ?? null, payments, page_size: dashboardLimits.paymentsListed };
  }

  /** Each bank's health (the gateway's health service) and, read from the bank through the gateway, its holds. */
  async banks(): Promise<BankView[]> {
    const stats = await this.client.callAdmin("GetStats", { banks: true }, pageCall);
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

  /**
   * Each gateway's counters now, by its address: the live figures are
   * differences of two readings of the same gateway. UNAVAILABLE when none answered.
   */
  async counters(): Promise<Map<string, CounterReading>> {
    const readings = new Map<string, CounterReading>();
    const answers = await this.client.callAdminOnEach("GetStats", { banks: false }, dashboardLimits.callDeadlineMs);
    for (const { address, reply } of answers) {
      if (reply) readings.set(address, { atMs: Number(reply.now_ms), decided: Number(reply.payments_succeeded) + Number(reply.payments_failed), latencyMsSum: Number(reply.latency_ms_sum) });
    }
    // None answered: the first gateway's own error (a refusal is not "cannot reach").
    if (readings.size === 0) throw answers[0]?.error ?? new AppError(Code.Unavailable, `cannot reach the gateway at ${this.client.address}`);
    return readings;
  }

  /** A page of the payments, or of those whose id, key or user is `query`: the newest, or those before `beforeId`. */
  async search(query: string, beforeId = ""): Promise<Record<string, unknown>[]> {
    const page = { limit: dashboardLimits.paymentsListed, before_id: beforeId };
    const reply = query ? await this.client.callAdmin("FindPayments", { query, ...page }, pageCall) : await this.client.callAdmin("ListAllPayments", page, pageCall);
    return (reply.payments ?? []).map(paymentView);
  }

  async runAudit(nowMs: number): Promise<AuditView> {
    try {
      // One gateway, one scan: a slow audit is not started again on another (failover would, at its deadline); a live gateway is found first.
      await this.client.reachable(dashboardLimits.callDeadlineMs);
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

/**
 * Turns successive counter readings into payments/s and mean latency over
 * each interval: per gateway (each its own counters and clock), summed. A
 * gateway first seen, restarted (its counters went back) or not answering
 * this time adds nothing to this interval.
 */
export class LiveRate {
  private readonly last = new Map<string, CounterReading>();

  next(readings: Map<string, CounterReading>): { rate_per_s: number; latency_ms: number } | undefined {
    let ratePerS = 0;
    let decided = 0;
    let latencyMsSum = 0;
    let compared = 0;
    for (const [gateway, reading] of readings) {
      const last = this.last.get(gateway);
      this.last.set(gateway, reading);
      if (!last || reading.atMs <= last.atMs || reading.decided < last.decided) continue;
      compared += 1;
      ratePerS += ((reading.decided - last.decided) * 1000) / (reading.atMs - last.atMs);
      decided += reading.decided - last.decided;
      latencyMsSum += reading.latencyMsSum - last.latencyMsSum;
    }
    if (compared === 0) return undefined;
    return { rate_per_s: ratePerS, latency_ms: decided === 0 ? 0 : latencyMsSum / decided };
  }
}
