// Proves the dashboards given two gateways on one PostgreSQL (--gateway a,b): the admin page's live payments/s is each gateway's own counters' change, summed, so an idle system reads 0 however unequal the two processes' counters (it read 5/s and 15/s subtracting one's from the other's); with one gateway killed, the admin page's state and events and a user's balance and payments still come, from the other.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { login, type CliUser } from "./support/cli";
import { startDashboardProcess, type DashboardProcess } from "./support/dashboard";
import { sharedPostgres } from "./support/postgres";
import { signUpProcess, startProcessSystem, twoBankAccounts, type ProcessSystem } from "./support/processes";

setDefaultTimeout(120_000);
let system: ProcessSystem;
let dashboard: DashboardProcess;
let cookie: string;

beforeAll(async () => {
  system = await startProcessSystem({ gateways: 2, database: await (await sharedPostgres()).createDatabase(), accountsYaml: twoBankAccounts, banks: ["hdfc", "icici"] });
  const [g1, g2] = system.cluster.gatewayAddresses as [string, string];
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  await signUpProcess(system, "bob", "icici", "2001");
  // Six payments through the first gateway only: its counters and the second's differ.
  const onFirst = system.clientAt(g1, "client-alice");
  onFirst.token = alice.token;
  for (let i = 0; i < 6; i++) await onFirst.call("Pay", { idempotency_key: `dash-two-${i}`, to_username: "bob", amount_minor: "100", note: "" }, { retry: true });
  const home = mkdtempSync(join(system.dir, "admin-home-"));
  dashboard = await startDashboardProcess(["--certs", join(system.cluster.certsDir, "admin"), "--home", home, "--gateway", `${g1},${g2}`]);
  const entry = await fetch(dashboard.url, { redirect: "manual" });
  cookie = entry.headers.get("set-cookie")!.split(";")[0]!;
});
afterAll(async () => {
  await dashboard?.stop();
  await system?.stop();
});

/** The next `count` live events of the admin page's stream. */
async function events(count: number): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${dashboard.origin}/api/events`, { headers: { cookie } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const seen: Record<string, unknown>[] = [];
  let text = "";
  try {
    while (seen.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
        const data = text.slice(0, end).split("\n").find((line) => line.startsWith("data: "));
        text = text.slice(end + 2);
        if (data) seen.push(JSON.parse(data.slice("data: ".length)));
      }
    }
  } finally {
    await reader.cancel();
  }
  return seen;
}

test("idle, the live rate is 0 in every event, though the two gateways' counters differ", async () => {
  const seen = await events(5);
  expect(seen.every((event) => event.reachable === true)).toBe(true);
  const rates = seen.filter((event) => "rate_per_s" in event).map((event) => event.rate_per_s);
  expect(rates.length).toBeGreaterThanOrEqual(3);
  expect(rates).toEqual(rates.map(() => 0));
});

test("with the first gateway killed, the page's state and live events come from the second", async () => {
  const first = system.cluster.processes.get("gateway-1")!;
  first.kill("SIGKILL");
  await first.exited;
  for (let i = 0; i < 4; i++) {
    const state = await fetch(`${dashboard.origin}/api/state`, { headers: { cookie } });
    expect(state.status).toBe(200);
    const body = (await state.json()) as { banks?: { name: string }[]; error?: string };
    expect(body.error).toBeUndefined();
    expect(body.banks?.map((bank) => bank.name).sort()).toEqual(["hdfc", "icici"]);
  }
  const seen = await events(3);
  expect(seen.every((event) => event.reachable === true)).toBe(true);
});

test("a user's dashboard given both gateways, the first dead: balance and payments come from the second", async () => {
  const [g1, g2] = system.cluster.gatewayAddresses as [string, string];
  const first = system.cluster.processes.get("gateway-1")!;
  if (first.exitCode === null && first.signalCode === null) first.kill("SIGKILL"); // run alone, not after the test above
  await first.exited;
  const alice: CliUser = { username: "alice", password: "alice-password", home: mkdtempSync(join(system.dir, "alice-home-")), certs: join(system.cluster.certsDir, "client-alice"), gateway: g2 };
  await login(alice);
  const mine = await startDashboardProcess(["--certs", alice.certs, "--home", alice.home, "--gateway", `${g1},${g2}`]);
  try {
    const myCookie = (await fetch(mine.url, { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;
    for (let i = 0; i < 4; i++) {
      const state = (await (await fetch(`${mine.origin}/api/state`, { headers: { cookie: myCookie } })).json()) as { reachable: boolean; error?: string; balance: unknown; payments: unknown[] | null };
      expect({ reachable: state.reachable, error: state.error }).toEqual({ reachable: true, error: undefined });
      expect(state.payments?.length).toBe(6);
    }
  } finally {
    await mine.stop();
  }
});
