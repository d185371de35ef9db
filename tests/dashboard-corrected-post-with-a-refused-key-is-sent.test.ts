// Proves the dashboard's pay and refund forms, which keep their key after a refused post so it may be corrected and resent: the gateway's refusal (unknown payee, more than remains) leaves that key free, so the corrected post with it is paid or refunded (200), then replays; other parameters with a key that did pay are refused (409); money moves once, to the minor unit.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cliBalanceMinor, cliPay, type CliUser } from "./support/cli";
import { startDashboardProcess, type DashboardProcess } from "./support/dashboard";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(120_000);
const setup = systemWithCliUsers(["alice", "bob"]);
const dashboards: DashboardProcess[] = [];

/** A user's dashboard as the page posts to it: the cookie its URL sets, and the page token of the page it serves. */
interface Poster {
  post(path: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function dashboardOf(user: CliUser): Promise<Poster> {
  const dashboard = await startDashboardProcess(["--home", user.home, "--certs", user.certs, "--gateway", user.gateway]);
  dashboards.push(dashboard);
  const first = await fetch(dashboard.url, { redirect: "manual" });
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  const page = await (await fetch(`${dashboard.origin}/`, { headers: { cookie } })).text();
  const pageToken = /<meta name="page-token" content="(\w+)">/.exec(page)![1]!;
  return {
    async post(path, form) {
      const response = await fetch(`${dashboard.origin}${path}`, { method: "POST", headers: { cookie, "x-page-token": pageToken, "content-type": "application/json" }, body: JSON.stringify(form) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

let alicePage: Poster;
let bobPage: Poster;
beforeAll(async () => {
  alicePage = await dashboardOf(setup.alice);
  bobPage = await dashboardOf(setup.bob);
});
afterAll(async () => {
  for (const dashboard of dashboards) await dashboard.stop();
});

async function balances(): Promise<{ alice: bigint; bob: bigint }> {
  return { alice: await cliBalanceMinor(setup.alice), bob: await cliBalanceMinor(setup.bob) };
}

test("pay form: after 404 for an unknown payee, the corrected post with the same key pays once", async () => {
  const before = await balances();
  const refused = await alicePage.post("/api/pay", { to: "nobody", amount: "1.00", note: "", key: "dk1" });
  expect(refused).toEqual({ status: 404, body: { error: 'no user "nobody"' } });
  const corrected = await alicePage.post("/api/pay", { to: "bob", amount: "1.07", note: "", key: "dk1" });
  expect(corrected.status).toBe(200);
  expect(corrected.body).toMatchObject({ outcome: "succeeded" });
  expect(corrected.body.message).toMatch(/^paid INR 1\.07 to bob: payment \S+$/);
  const resent = await alicePage.post("/api/pay", { to: "bob", amount: "1.07", note: "", key: "dk1" });
  expect(resent.status).toBe(200);
  expect(resent.body.message).toContain("(recorded under this key already; it moved money once)");
  const other = await alicePage.post("/api/pay", { to: "bob", amount: "2.00", note: "", key: "dk1" });
  expect(other.status).toBe(409);
  expect(other.body.error).toContain("key dk1 was already used");
  expect(await balances()).toEqual({ alice: before.alice - 107n, bob: before.bob + 107n });
  expect(setup.system.totalMinor()).toBe(setup.totalMinor);
});

test("refund form: after 409 for more than remains, the corrected post with the same key refunds once", async () => {
  const paymentId = await cliPay(setup.alice, "bob", "10.00");
  const before = await balances();
  const refused = await bobPage.post("/api/refund", { payment_id: paymentId, amount: "12.00", reason: "", key: "dr1" });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toContain(`only INR 10.00 of payment ${paymentId} remains refundable`);
  const corrected = await bobPage.post("/api/refund", { payment_id: paymentId, amount: "4.01", reason: "", key: "dr1" });
  expect(corrected.status).toBe(200);
  expect(corrected.body).toMatchObject({ outcome: "succeeded" });
  expect(corrected.body.message).toMatch(new RegExp(`^refunded INR 4\\.01 of payment ${paymentId} to alice: refund \\S+; INR 5\\.99 of it remains refundable$`));
  const resent = await bobPage.post("/api/refund", { payment_id: paymentId, amount: "4.01", reason: "", key: "dr1" });
  expect(resent.status).toBe(200);
  expect(resent.body.message).toContain("(recorded under this key already; it moved money once)");
  expect(await balances()).toEqual({ alice: before.alice + 401n, bob: before.bob - 401n });
  expect(setup.system.totalMinor()).toBe(setup.totalMinor);
});

test("the gateway's refusals name the form's fields as the CLI's flags, not the wire's fields", async () => {
  const before = await balances();
  const refused = await alicePage.post("/api/pay", { to: "bob", amount: "1.00", note: "\u001b[31mred", key: "dk-words" });
  expect(refused).toEqual({ status: 400, body: { error: "--note: no control characters" } });
  expect(await balances()).toEqual(before);
});
