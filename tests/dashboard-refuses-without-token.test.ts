// Proves the dashboard's guard: without its token (or with a wrong one) nothing is served, in Chromium too; the token becomes an HttpOnly SameSite=Strict cookie named for the port; a Host header naming another site is refused (DNS rebinding); a post without its page's token or from another origin is refused and moves nothing; a --host other than 127.0.0.1 is said out loud.
/// <reference lib="dom" />
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { request as httpRequest } from "node:http";
import type { GatewayClient } from "../src/client/gateway-client";
import { cliUser, mainPath, type CliUser } from "./support/cli";
import { openBrowser, startDashboardProcess, type Browser, type DashboardProcess } from "./support/dashboard";
import { balanceMinor, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let alice: CliUser;
let bob: GatewayClient;
let dashboard: DashboardProcess;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem();
  alice = await cliUser(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  dashboard = await startDashboardProcess(["--home", alice.home, "--certs", alice.certs, "--gateway", alice.gateway]);
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await system.stop();
});

/** A GET with the Host header we choose (fetch would set its own). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: dashboard.port, path, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("without the token, or with a wrong one, the browser gets 401/403 and no page", async () => {
  const { page } = browser;
  for (const [path, status] of [["/", 401], ["/app.js", 401], ["/api/state", 401], [`/?token=${"0".repeat(48)}`, 403]] as const) {
    const response = await page.goto(`${dashboard.origin}${path}`);
    expect(response!.status()).toBe(status);
    const body = await response!.text();
    expect(body).not.toContain("<script");
    expect(body).not.toContain("alice");
  }
  expect(await browser.context.cookies()).toEqual([]);
});

test("the token from the printed URL becomes an HttpOnly, SameSite=Strict cookie named for the port", async () => {
  const { page } = browser;
  await page.goto(dashboard.url);
  expect(page.url()).toBe(`${dashboard.origin}/`);
  await page.locator("#balance").waitFor();
  const cookies = await browser.context.cookies();
  expect(cookies.length).toBe(1);
  expect(cookies[0]).toMatchObject({ name: `ministripe-dashboard-${dashboard.port}`, httpOnly: true, sameSite: "Strict" });
  // The page's script cannot read it.
  expect(await page.evaluate(() => document.cookie)).toBe("");
});

test("a Host header that is not the dashboard's own address is refused, even with the token", async () => {
  const token = new URL(dashboard.url).searchParams.get("token")!;
  const rebound = await getWithHost(`/?token=${token}`, `attacker.example:${dashboard.port}`);
  expect(rebound.status).toBe(403);
  expect(rebound.body).not.toContain("<script");
  expect((await getWithHost(`/?token=${token}`, `127.0.0.1:${dashboard.port + 1}`)).status).toBe(403);
  expect((await getWithHost(`/?token=${token}`, `localhost:${dashboard.port}`)).status).toBe(303);
});

test("a post without its page's token, or from another origin, is refused and moves nothing", async () => {
  const { page } = browser;
  await page.goto(`${dashboard.origin}/`);
  await page.locator("#balance").waitFor();
  const bobBeforeMinor = await balanceMinor(bob);
  const statuses = await page.evaluate(async () => {
    const form = JSON.stringify({ to: "bob", amount: "10.00", note: "", key: crypto.randomUUID() });
    const pageToken = document.querySelector('meta[name="page-token"]')!.getAttribute("content")!;
    const post = (headers: Record<string, string>, body = form) => fetch("/api/pay", { method: "POST", headers, body }).then((r) => r.status);
    return [
      await post({ "content-type": "application/json" }),
      await post({ "content-type": "application/json", "x-page-token": "not-the-page-token" }),
      // What a cross-site HTML form can send: no custom header, a form encoding.
      await post({ "content-type": "application/x-www-form-urlencoded", "x-page-token": pageToken }, "to=bob&amount=10.00"),
    ];
  });
  expect(statuses).toEqual([403, 403, 403]);
  const fromElsewhere = await fetch(`${dashboard.origin}/api/pay`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://attacker.example", cookie: (await browser.context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") },
    body: JSON.stringify({ to: "bob", amount: "10.00", key: crypto.randomUUID() }),
  });
  expect(fromElsewhere.status).toBe(403);
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor);
});

test("told to listen beyond 127.0.0.1, the dashboard says so", async () => {
  const child = Bun.spawn(["bun", mainPath, "dashboard", "--port", "0", "--host", "0.0.0.0", "--home", alice.home, "--certs", alice.certs, "--gateway", alice.gateway], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  try {
    const reader = child.stderr.getReader();
    let stderr = "";
    for (let reads = 0; !stderr.includes("\n") && reads < 100; reads++) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
    }
    expect(stderr).toContain("listening on 0.0.0.0, not only 127.0.0.1");
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
});
