// Proves phase two is re-sent until acknowledged: a Commit dropped on its way
// to the payee's bank (the proxy cuts the connection) is sent again, and the
// bank applies it exactly once; the gateway's /metrics counts the resend
// (ministripe_phase_two_resends_total).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { scrape, valueOf } from "./support/prometheus";
import { afterVoting, balanceMinor, countCommits, eventually, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"], metrics: true });
});
afterAll(async () => {
  await system.stop();
});

test("a Commit lost on the way is re-sent, counted as a resend, and applied once", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const proxy = system.proxies.get("icici")!;
  const icici = system.banks.get("icici")!;
  // Arm the proxy the moment icici has voted: the next request the gateway sends it is the Commit.
  afterVoting(system, "icici", () => proxy.dropNextRequest());
  const commits = countCommits(system, "icici");

  const resendsBefore = valueOf(await scrape(system.metricsUrls.get("gateway")!), "ministripe_phase_two_resends_total");
  const reply = await pay(alice, "bob", 12_345n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  for (let i = 0; i < 200 && icici.store.getTransaction(reply.payment.id)?.state !== "committed"; i++) await sleepMs(50);

  expect(proxy.dropped).toBe(1);
  expect(commits.count).toBeGreaterThanOrEqual(1);
  expect(icici.store.getTransaction(reply.payment.id)?.state).toBe("committed");
  expect(await balanceMinor(bob)).toBe(120_000n + 12_345n);
  expect(await balanceMinor(alice)).toBe(500_000n - 12_345n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
  // The resend driver sent it: the gateway's counter says so. It counts once both
  // banks have acknowledged, which can come after icici shows the commit: wait for it, bounded.
  const resendCounted = () => scrape(system.metricsUrls.get("gateway")!).then((text) => valueOf(text, "ministripe_phase_two_resends_total") - resendsBefore >= 1);
  expect(await eventually(resendCounted, 20_000)).toBe(true);
});
