// Proves both dashboards reach every payment, not only the newest page: in a real browser (Chromium, headless) the admin view, its search, and the user view each page from the newest payments to the first one and back, and the user view's refresh leaves an older page where it is.
/// <reference lib="dom" />
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { GatewayClient } from "../src/client/gateway-client";
import { dashboardLimits } from "../src/lib/limits";
import { cliUser, type CliUser } from "./support/cli";
import { openBrowser, startDashboardProcess, type Browser, type DashboardProcess } from "./support/dashboard";
import { balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(90_000);
const pageSize = dashboardLimits.paymentsListed;
const paymentsMade = pageSize + 10;
let system: TestSystem;
let alice: CliUser;
let bob: GatewayClient;
let admin: DashboardProcess;
let user: DashboardProcess;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem();
  alice = await cliUser(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const bobBeforeMinor = await balanceMinor(bob);
  // One payment more than a page and ten: notes n0 (the first) to n59 (the newest).
  for (let i = 0; i < paymentsMade; i++) expect((await pay(bob, "alice", 100, crypto.randomUUID(), `n${i}`)).payment.status).toBe("SUCCEEDED");
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor - BigInt(paymentsMade * 100));
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
  admin = await startDashboardProcess(["--certs", join(system.certsDir, "admin"), "--home", mkdtempSync(join(system.dir, "admin-home-")), "--gateway", system.gatewayAddress]);
  user = await startDashboardProcess(["--home", alice.home, "--certs", alice.certs, "--gateway", alice.gateway]);
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await admin?.stop();
  await user?.stop();
  await system.stop();
});

/** The notes of the payments table's rows, top to bottom, once it holds `rows` rows. */
async function notesWhen(rows: number): Promise<string[]> {
  const { page } = browser;
  await page.waitForFunction((n) => document.querySelectorAll("#payments tbody tr").length === n, rows);
  return page.$$eval("#payments tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].find((td) => /^n\d+$/.test(td.textContent ?? ""))?.textContent ?? ""));
}

const newest = Array.from({ length: pageSize }, (_, i) => `n${paymentsMade - 1 - i}`);
const oldest = Array.from({ length: paymentsMade - pageSize }, (_, i) => `n${paymentsMade - pageSize - 1 - i}`);

async function pagesToTheFirstAndBack(): Promise<void> {
  const { page } = browser;
  expect(await notesWhen(pageSize)).toEqual(newest);
  expect(await page.locator("#payments-newest").isDisabled()).toBe(true);
  await page.click("#payments-older");
  expect(await notesWhen(paymentsMade - pageSize)).toEqual(oldest);
  expect(await page.locator("#payments-older").isDisabled()).toBe(true);
  await page.click("#payments-newest");
  expect(await notesWhen(pageSize)).toEqual(newest);
}

test("the admin view pages from the newest payments to the first and back", async () => {
  await browser.page.goto(admin.url);
  await pagesToTheFirstAndBack();
});

test("the admin view's search pages the same way", async () => {
  const { page } = browser;
  await page.fill("#search", "alice");
  await page.click("#search-form button");
  await pagesToTheFirstAndBack();
  // The older page of the search, not of every payment: the search is kept.
  await page.click("#payments-older");
  expect(await notesWhen(paymentsMade - pageSize)).toEqual(oldest);
});

test("the user view pages too, and its refresh leaves an older page where it is", async () => {
  const { page } = browser;
  await page.goto(user.url);
  await pagesToTheFirstAndBack();
  await page.click("#payments-older");
  expect(await notesWhen(paymentsMade - pageSize)).toEqual(oldest);
  // Two refreshes of the page's state later (every 2 s), still the older page.
  await page.waitForTimeout(4_500);
  expect(await notesWhen(paymentsMade - pageSize)).toEqual(oldest);
});
