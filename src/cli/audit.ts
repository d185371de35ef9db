import type { AuditResponseReceived as AuditReport } from "../rpc/wire/messages";
import { existsSync } from "node:fs";
import { GatewayClient } from "../client/gateway-client";
import { silentLogger } from "../lib/log";
import { loadCertFolder } from "../rpc/credentials";
import { auditSettled } from "../client/audit-settled";
import { clientFlags, gatewayAddressOf } from "./support/client-context";
import { Exit, UsageError } from "./support/exit";
import { bool, str, type Command } from "./support/flags";
import { money, printJson, say } from "./support/output";

export const auditCommand: Command = {
  name: "audit",
  usage: "audit [--gateway HOST:PORT] [--certs DIR]",
  summary: "Admin: checks every invariant across the gateway and all banks; exits 0 only when all hold.",
  // No client home: the admin has no session and no outbox, so audit creates neither.
  flags: {
    gateway: clientFlags.gateway!,
    certs: { type: "string", value: "DIR", help: "the admin certificate folder (certs init makes DIR/admin; dev makes .ministripe/certs/admin)", default: "certs/admin" },
    json: clientFlags.json!,
  },
  async run(flags) {
    const certsDir = str(flags, "certs")!;
    if (!existsSync(certsDir)) {
      throw new UsageError(`audit needs the admin certificate folder, and there is none at ${certsDir}: pass --certs DIR (e.g. --certs certs/admin, or --certs .ministripe/certs/admin under dev)`);
    }
    const client = new GatewayClient(gatewayAddressOf(flags), loadCertFolder(certsDir), silentLogger);
    try {
      const report = await auditSettled(() => client.callAdmin("Audit", {}, { retry: true }));
      if (bool(flags, "json")) printJson(report);
      else printReport(report);
      return exitOf(report);
    } finally {
      client.close();
    }
  },
};

function printReport(r: AuditReport): void {
  for (const b of r.banks) {
    if (!b.reachable) {
      say(`${b.bank}: UNREACHABLE (${b.error})`);
      continue;
    }
    say(`${b.bank}: balances ${money(b.balance_sum_minor, r.currency)}, open holds ${b.open_holds} (${money(b.open_holds_minor, r.currency)}), in doubt ${b.in_doubt}, committed ${b.committed}`);
  }
  const unread = r.banks.filter((b) => !b.reachable).map((b) => b.bank);
  if (unread.length === 0) say(`total ${money(r.total_minor, r.currency)} against ${money(r.loaded_total_minor, r.currency)} first loaded`);
  else say(`total not checked: ${unread.join(", ")} could not be read, and what moved to or from ${unread.length === 1 ? "it" : "them"} is counted there`);
  say(`payments: ${r.payments_succeeded} succeeded, ${r.payments_failed} failed, ${r.payments_pending} pending, ${r.phase_two_unfinished} still finishing`);
  for (const m of r.mismatches) say(`mismatch: ${m}`);
  for (const v of r.violations) say(`VIOLATION: ${v}`);
  const verdict = { clean: "audit clean: every invariant holds", incomplete: `audit incomplete: ${unread.join(", ")} could not be read, and the total is not checked without ${unread.length === 1 ? "it" : "them"}; nothing else found wrong`, failed: "audit FAILED" } as const;
  say(verdict[verdictOf(r)]);
}

/**
 * Clean; incomplete (a bank could not be read, and that is all: each such
 * bank is one violation, "cannot be audited"); or failed (something found
 * wrong). A script tells "a bank is down" (exit 4, SPEC's "could not be
 * reached") from "money is wrong" (exit 1).
 */
function verdictOf(r: AuditReport): "clean" | "incomplete" | "failed" {
  if (r.ok) return "clean";
  const unread = r.banks.filter((b) => !b.reachable).length;
  return unread > 0 && r.violations.length === unread && r.mismatches.length === 0 ? "incomplete" : "failed";
}

function exitOf(r: AuditReport): number {
  return { clean: Exit.ok, incomplete: Exit.unreachable, failed: Exit.declined }[verdictOf(r)];
}
