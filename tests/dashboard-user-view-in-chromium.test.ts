// Proves the user view in a real browser (Chromium, headless): it shows the balance, each payment's note and each refund's original and reason (as text), pays through the form exactly once on a double click, and once when the form is submitted twice past the page's own guard (the form keeps its idempotency key until an outcome), shows a bad amount with the CLI's own message, while the gateway is down queues a payment, shows it in the queue and sends it once the gateway is back, and refunds a payment received through its button.
/// <reference lib="dom" />
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { cli, cliUser, type CliUser } from "./support/cli";
import { openBrowser, screenshot, startDashboardProcess, type Browser, type DashboardProcess } from "./support/dashboard";
import { balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let alice: CliUser;
let bob: GatewayClient;
let dashboard: DashboardProcess;
let browser: Browser;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  system = await startSystem();
  alice = await cliUser(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  dashboard = await startDashboardProcess(["--home", alice.home, "--certs", alice.certs, "--gateway", alice.gateway]);
  browser = await openBrowser();
  await browser.page.goto(dashboard.url);
});
afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await system.stop();
});

// The page's guard against a second submit: a top-level binding of app.js (a classic script), which one test turns off.
declare let paying: boolean;

async function payThroughForm(to: string, amount: string, click: "click" | "dblclick" = "click"): Promise<string> {
  const { page } = browser;
  await page.fill("#pay-to", to);
  await page.fill("#pay-amount", amount);
  await page.evaluate(() => (document.getElementById("pay-message")!.textContent = ""));
  await page[click]("#pay-button");
  await page.waitForFunction(() => {
    const text = document.getElementById("pay-message")!.textContent ?? "";
    return text !== "" && text !== "paying…";
  });
  return (await page.locator("#pay-message").textContent())!;
}

test("the user view shows alice's balance", async () => {
  const { page } = browser;
  await page.waitForFunction(() => document.getElementById("balance")?.textContent === "INR 5000.00");
  expect(await page.locator("#who").textContent()).toContain("alice");
});

test("a double click on Pay pays once; the new balance and the payment are shown", async () => {
  const { page } = browser;
  const bobBeforeMinor = await balanceMinor(bob);
  const message = await payThroughForm("bob", "12.34", "dblclick");
  expect(message).toMatch(/^paid INR 12\.34 to bob/);
  await page.waitForFunction(() => document.getElementById("balance")?.textContent === "INR 4987.66");
  // Once: bob got 12.34 exactly one time, and there is one payment to him.
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor + 1234n);
  const listed = await bob.call("ListPayments", { limit: 50 }, { retry: false });
  expect(listed.payments.filter((p) => String(p.amount_minor) === "1234").length).toBe(1);
  await page.locator("#payments tbody tr").first().waitFor();
  expect(await page.locator("#payments tbody tr").count()).toBe(1);
  expect(await page.locator("#payments tbody tr").first().textContent()).toContain("SUCCEEDED");
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a bad amount shows the CLI's message and pays nothing", async () => {
  const bobBeforeMinor = await balanceMinor(bob);
  for (const amount of ["12.345", "0", "abc", "99999999999"]) {
    const fromCli = await cli(alice, "pay", "--to", "bob", "--amount", amount);
    expect(fromCli.exitCode).toBe(2);
    const message = await payThroughForm("bob", amount);
    expect(`ministripe pay: ${message}\n`).toBe(fromCli.stderr);
  }
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor);
});

test("with the gateway down a payment is queued and shown in the queue; it is sent once the gateway is back", async () => {
  const { page } = browser;
  const bobBeforeMinor = await balanceMinor(bob);
  await system.stopGateway();
  try {
    const message = await payThroughForm("bob", "5.00");
    expect(message).toContain("queued with key");
    await page.locator("#queue tbody tr td.queued").waitFor();
    expect(await page.locator("#queue tbody tr").first().textContent()).toContain("INR 5.00");
    await page.locator("#connection.bad").waitFor();
    await screenshot(page, "dashboard-user-offline.png");
  } finally {
    await system.startGateway();
  }
  // The dashboard sends what is queued by itself, with the same key: once.
  await page.locator("#notices", { hasText: "INR 5.00 to bob succeeded" }).waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll("#queue tbody tr").length === 0);
  await page.waitForFunction(() => document.getElementById("balance")?.textContent === "INR 4982.66");
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor + 500n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a payment received is refunded through its button, in part, once; the refund is listed and money is conserved", async () => {
  const { page } = browser;
  const received = await pay(bob, "alice", 2000);
  const id = received.payment.id;
  const bobBeforeMinor = await balanceMinor(bob);
  const button = page.locator(`#payments tr[data-id="${id}"] button.refund`);
  await button.waitFor();
  // Two questions: how much, and a reason for the payer.
  const answers = ["5.00", "returned <b>goods</b>"];
  const answer = (dialog: { accept(text: string): Promise<void> }) => void dialog.accept(answers.shift()!);
  page.on("dialog", answer);
  await page.evaluate(() => (document.getElementById("pay-message")!.textContent = ""));
  await button.click();
  await page.waitForFunction(() => /^refund(ed|\b)/.test(document.getElementById("pay-message")!.textContent ?? ""));
  expect(await page.locator("#pay-message").textContent()).toMatch(new RegExp(`^refunded INR 5\\.00 of payment ${id} to bob: refund \\S+; INR 15\\.00 of it remains refundable$`));
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor + 500n);
  await page.waitForFunction((original) => [...document.querySelectorAll("#payments tbody tr")].some((row) => row.getAttribute("data-id") !== original && row.textContent!.includes("refund") && row.textContent!.includes("INR 5.00")), id);
  expect(await page.locator(`#payments tr[data-id="${id}"]`).textContent()).toContain("refunded INR 5.00");
  page.off("dialog", answer);
  // The refund's row names the payment it refunds and its reason, as text (no markup made of it).
  const refundRow = page.locator("#payments tbody tr", { hasText: `refund of ${id}` });
  expect(await refundRow.textContent()).toContain(`refund of ${id}: returned <b>goods</b>`);
  expect(await refundRow.locator("b").count()).toBe(0);
  expect(system.totalMinor()).toBe(totalMinor);
  await screenshot(page, "dashboard-user.png");
});

test("the pay form submitted twice past the page's guard sends its one kept key, and pays once to the minor unit", async () => {
  const { page } = browser;
  const hdfc = system.banks.get("hdfc")!.store;
  const aliceBeforeMinor = hdfc.getAccount("1001")!.balanceMinor;
  const bobBeforeMinor = await balanceMinor(bob);
  await page.fill("#pay-to", "bob");
  await page.fill("#pay-amount", "7.77");
  // Both posts leave before either is answered: only the key the form kept can make them one payment.
  const sent = await page.evaluate(async () => {
    const posts: Promise<{ key: string; status: number }>[] = [];
    const realFetch = window.fetch;
    window.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      const answer = realFetch(input, init);
      if (input === "/api/pay") posts.push(answer.then((res) => ({ key: JSON.parse(String(init!.body)).key as string, status: res.status })));
      return answer;
    }) as typeof fetch;
    try {
      const form = document.getElementById("pay-form") as HTMLFormElement;
      form.requestSubmit();
      paying = false; // past the guard, as a script or a stuck button could be
      form.requestSubmit();
      return await Promise.all(posts);
    } finally {
      window.fetch = realFetch;
    }
  });
  expect(sent).toHaveLength(2);
  expect(sent[1]!.key).toBe(sent[0]!.key);
  for (const post of sent) expect([200, 202]).toContain(post.status);
  const listed = await bob.call("ListPayments", { limit: 50 }, { retry: false });
  expect(listed.payments.filter((p) => String(p.amount_minor) === "777")).toHaveLength(1);
  expect(await balanceMinor(bob)).toBe(bobBeforeMinor + 777n);
  expect(hdfc.getAccount("1001")!.balanceMinor).toBe(aliceBeforeMinor - 777n);
  expect(system.totalMinor()).toBe(totalMinor);
});
