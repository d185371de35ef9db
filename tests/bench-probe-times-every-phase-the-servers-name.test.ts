// Proves the bench's probe, preloaded into a bench run, times every phase the gateway and the banks name (src/lib/phase-timing.ts): each phase shows up in that process's table with a count.
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mainPath, waitMsMax } from "./support/cli";

const probePath = join(import.meta.dir, "..", "src", "bench", "probe.ts");

/** The labels of one process's table with their counts. */
function countsOf(table: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of table.split("\n").slice(2)) {
    const [label, count] = line.split(" ");
    if (label && count) counts.set(label, Number(count));
  }
  return counts;
}

test("a short bench with the probe preloaded writes each gateway and bank phase with a count", async () => {
  const probeDir = mkdtempSync(join(tmpdir(), "ministripe-probe-"));
  try {
    const child = Bun.spawn(["bun", mainPath, "bench", "--duration", "1s", "--warmup", "250ms", "--concurrency", "4", "--connections", "2", "--banks", "2", "--accounts-per-bank", "4", "--json"], {
      env: { ...(process.env as Record<string, string>), MINISTRIPE_PROBE_DIR: probeDir, BUN_OPTIONS: `--preload ${probePath}` },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => child.kill(9), 3 * waitMsMax);
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearTimeout(timer);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(JSON.parse(stdout).succeeded).toBeGreaterThan(0);

    const tables = readdirSync(probeDir).map((name) => ({ name, counts: countsOf(readFileSync(join(probeDir, name), "utf8")) }));
    const gateways = tables.filter((t) => t.name.startsWith("gateway-"));
    const banks = tables.filter((t) => t.name.startsWith("bank-"));
    expect(gateways.length).toBe(1);
    expect(banks.length).toBe(2);
    const gatewayPhases = ["pay.total", "phase_one.votes", "decision.durable", "phase_two.acks", "wait.write", "wait.prepare_vote", "wait.phase_two_ack", "sqlite.transaction", "session.authenticate", "event_loop.lag"];
    for (const phase of gatewayPhases) expect({ phase, seen: (gateways[0]!.counts.get(`gateway.${phase}`) ?? 0) > 0 }).toEqual({ phase, seen: true });
    for (const bank of banks) {
      for (const phase of ["group.transaction", "group.transaction.batch_items", "sqlite.transaction", "sqlite.transaction.cpu", "event_loop.lag"]) {
        expect({ bank: bank.name, phase, seen: (bank.counts.get(`bank.${phase}`) ?? 0) > 0 }).toEqual({ bank: bank.name, phase, seen: true });
      }
    }
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}, 90_000);
