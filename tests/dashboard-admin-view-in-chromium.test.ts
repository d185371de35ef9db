// Proves the admin view in a real browser (Chromium, headless): it shows every bank and its health, a chart that moves while payments run, a payment found by its id, key and user, and an audit run from its button.
/// <reference lib="dom" />
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { GatewayClient } from "../src/client/gateway-client";
import { openBrowser, screenshot, startDashboardProcess, type Browser, type DashboardProcess } from "./support/dashboard";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let alice: GatewayClient;
let dashboard: DashboardProcess;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem();
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const home = mkdtempSync(join(system.dir, "admin-home-"));
  dashboard = await startDashboardProcess(["--certs", join(system.certsDir, "admin"), "--home", home, "--gateway", system.gatewayAddress]);
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await system.stop();
});

test("the admin view lists every bank with its health from the gateway", async () => {
  const { page } = browser;
  await page.goto(dashboard.url);
  // The token left the address bar; the cookie carries it now.
  expect(page.url()).toBe(`${dashboard.origin}/`);
  for (const bank of ["hdfc", "icici", "sbi"]) {
    await page.locator(`#banks tr[data-bank="${bank}"] td.SERVING`).waitFor();
  }
  expect(await page.locator("#banks tbody tr").count()).toBe(3);
  expect(await page.locator("#who").textContent()).toContain("admin");
});

test("the chart moves while payments run", async () => {
  const { page } = browser;
  let running = true;
  const paying = (async () => {
    for (let i = 0; running && i < 2_000; i++) await pay(alice, "bob", 100 + (i % 50));
  })();
  try {
    await page.waitForFunction(() => Number(document.querySelector("#chart")?.getAttribute("data-last-rate")) > 0, undefined, { timeout: 20_000 });
    const first = await page.locator("#chart path.rate").getAttribute("d");
    const points = Number(await page.locator("#chart").getAttribute("data-points"));
    // A few more seconds of points: the chart moves (and the screenshot shows a line).
    await page.waitForFunction((n) => Number(document.querySelector("#chart")?.getAttribute("data-points")) > n + 5, points, { timeout: 20_000 });
    expect(await page.locator("#chart path.rate").getAttribute("d")).not.toBe(first);
    expect(await page.locator("#rate-now").textContent()).toMatch(/payments\/s: \d+\.\d/);
  } finally {
    running = false;
    await paying;
  }
});

test("a payment is found by its id, by its idempotency key and by its user", async () => {
  const { page } = browser;
  const key = crypto.randomUUID();
  const paid = await pay(alice, "bob", 4321, key);
  const id = paid.payment.id;
  for (const query of [id, key]) {
    await page.fill("#search", query);
    await page.click("#search-form button");
    await page.waitForFunction((wanted) => {
      const rows = document.querySelectorAll("#payments tbody tr");
      return rows.length === 1 && rows[0]!.getAttribute("data-id") === wanted;
    }, id);
    expect(await page.locator(`#payments tr[data-id="${id}"]`).textContent()).toContain("INR 43.21");
  }
  await page.fill("#search", "bob");
  await page.click("#search-form button");
  // The key search left this payment's row alone on the page: wait for the
  // user's search to replace it (bob has more payments than this one).
  await page.waitForFunction((wanted) => {
    const rows = [...document.querySelectorAll("#payments tbody tr")];
    return rows.length > 1 && rows.some((row) => row.getAttribute("data-id") === wanted);
  }, id);
  await page.fill("#search", "nobody-at-all");
  await page.click("#search-form button");
  await page.waitForFunction(() => document.querySelectorAll("#payments tbody tr").length === 0);
});

test("the audit button runs an audit and shows that every invariant holds", async () => {
  const { page } = browser;
  await page.click("#run-audit");
  await page.locator("#audit-result").waitFor();
  expect(await page.locator("#audit-result").textContent()).toBe("every invariant holds");
  await page.fill("#search", "alice");
  await page.click("#search-form button");
  await page.waitForFunction(() => document.querySelectorAll("#payments tbody tr").length > 5);
  await screenshot(page, "dashboard-admin.png");
});
