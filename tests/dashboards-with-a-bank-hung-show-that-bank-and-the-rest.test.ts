// Proves the dashboards with one bank hung (its bytes held: a process stopped,
// a host gone): the admin page's state still comes, with that bank shown as
// unread and the others' holds read; the user view of someone whose bank it is
// still lists their payments, says the bank is away (not the gateway), and
// shows no balance; once the bank is back, the balance comes again.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { cliUser, type CliUser } from "./support/cli";
import { getWithToken, startDashboardProcess, type DashboardProcess } from "./support/dashboard";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let bob: CliUser;
let admin: DashboardProcess;
let bobsView: DashboardProcess;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"] });
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await cliUser(system, { username: "bob", bank: "icici", account: "2001" });
  expect((await pay(alice, "bob", 250)).payment.status).toBe("SUCCEEDED");
  admin = await startDashboardProcess(["--certs", join(system.certsDir, "admin"), "--home", mkdtempSync(join(system.dir, "admin-home-")), "--gateway", system.gatewayAddress]);
  bobsView = await startDashboardProcess(["--home", bob.home, "--certs", bob.certs, "--gateway", bob.gateway]);
  system.proxies.get("icici")!.hold();
});
afterAll(async () => {
  await admin?.stop();
  await bobsView?.stop();
  await system?.stop();
});

interface AdminState {
  error?: string;
  banks: { name: string; open_holds?: number }[];
  payments: { id: string }[];
}

test("the admin page's state comes, the hung bank unread and the other read", async () => {
  const response = await getWithToken(admin, "/api/state");
  const state = (await response.json()) as AdminState;
  expect({ status: response.status, error: state.error }).toEqual({ status: 200, error: undefined });
  expect(state.banks.find((bank) => bank.name === "hdfc")?.open_holds).toBe(0);
  expect(state.banks.find((bank) => bank.name === "icici")?.open_holds).toBeUndefined();
  expect(state.payments).toHaveLength(1);
});

test("a user of the hung bank still sees their payments, told that their bank is away, not the gateway", async () => {
  const state = (await (await getWithToken(bobsView, "/api/state")).json()) as { reachable: boolean; error?: string; balance: unknown; payments: { amount: string }[] | null };
  expect(state.reachable).toBe(true);
  expect(state.error).toContain("icici");
  expect(state.balance).toBeNull();
  expect(state.payments?.map((payment) => payment.amount)).toEqual(["INR 2.50"]);

  system.proxies.get("icici")!.heal();
  const balanceShown = async () => ((await (await getWithToken(bobsView, "/api/state")).json()) as { balance: { balance: string } | null }).balance?.balance;
  expect(await eventually(async () => (await balanceShown()) === "INR 1202.50")).toBe(true);
});
