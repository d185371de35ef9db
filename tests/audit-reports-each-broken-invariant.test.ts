// Proves the auditor finds what it exists to find: a bank that committed what
// the gateway never decided, a finished payment missing at a bank, a payment
// whose amount or direction the gateway and a bank record differently, money that
// appeared outside any payment, a transaction left in doubt, and a bank it
// cannot reach; and that money in transit (committed at one bank, not yet at
// the other) is counted, while a hold no COMMIT stands behind is not. The
// ledgers are compared a few rows per page, so the walk crosses many page
// boundaries on both sides.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { BankLinks } from "../src/gateway/bank-links";
import { audit } from "../src/gateway/audit";
import { systemClock } from "../src/lib/clock";
import { silentLogger } from "../src/lib/log";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import { freePort } from "../src/local-cluster/cluster";
import { formatMinor, formatMoney } from "../src/lib/money";
import { afterVoting, bankAsGateway, pay, signUp, startSystem, tamperBank, tamperGateway, type TestSystem } from "./support/system";

let system: TestSystem;
let links: BankLinks;
let alice: Awaited<ReturnType<typeof signUp>>;
let bob: Awaited<ReturnType<typeof signUp>>;
const ledgerPageSize = 2;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], inDoubtAfterMs: 60_000, proxied: ["icici"] });
  links = new BankLinks(system.bankAddresses, loadCertFolder(join(system.certsDir, "gateway")), silentLogger, 2_000, systemClock);
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await signUp(system, { username: "dev", bank: "hdfc", account: "1002", certFolder: "client-carol" });
  // Nine payments, across banks and within hdfc: several ledger pages at both banks.
  for (let i = 1; i <= 9; i++) expect((await pay(alice, i % 3 === 0 ? "dev" : "bob", i)).payment.status).toBe("SUCCEEDED");
});
afterAll(async () => {
  links.close();
  await system.stop();
});

const auditNow = (inDoubtAfterMs = 60_000) => audit(system.gateway.store, links, inDoubtAfterMs, { nowMs: () => systemClock.nowMs(), ledgerPageSize });

/** Calls a bank as the gateway does, outside the coordinator. */
function exchangeAt(bank: string, request: unknown) {
  const client = bankAsGateway(system, bank);
  return unaryCall(client, "Exchange", request, { deadlineMs: 10_000 }).finally(() => client.close());
}

test("a system that only ran payments audits clean, page by page", async () => {
  const report = await auditNow();
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.payments_succeeded).toBe(9);
});

test("payments running while the audit reads the banks are no false alarm", async () => {
  let running = true;
  const load = (async () => {
    let paid = 0;
    for (; running && paid < 5_000; paid++) await pay(paid % 2 ? alice : bob, paid % 2 ? "bob" : "alice", 1);
    return paid;
  })();
  const reports = [];
  try {
    for (let i = 0; i < 10; i++) reports.push(await auditNow());
  } finally {
    running = false;
  }
  expect(await load).toBeGreaterThan(10);
  expect(reports.flatMap((report) => report.violations)).toEqual([]);
});

test("a transaction committed at a bank that the gateway never decided is a ledger mismatch", async () => {
  // An id that sorts between two real ones: the walk meets it in the middle of the gateway's list.
  const rogue = `${(await system.gateway.store.listCommittedAt("hdfc", "", 1))[0]!.id}-rogue`;
  const move = { txid: rogue, request_id: "rogue", legs: [{ account: "1001", delta_minor: -5 }, { account: "1002", delta_minor: 5 }] };
  await exchangeAt("hdfc", { prepare: [move] });
  await exchangeAt("hdfc", { commit: [{ txid: rogue, request_id: "" }] });
  const report = await auditNow();
  expect(report.ok).toBe(false);
  expect(report.mismatches).toEqual([`hdfc committed ${rogue}, which the gateway did not commit there`]);
  // Moved inside one bank: the total still holds, only the ledgers disagree.
  expect(report.violations).toEqual(["1 ledger mismatch between the gateway and the banks"]);
  tamperBank(system, "hdfc", "UPDATE transactions SET state = 'aborted' WHERE txid = ?", rogue);
});

test("a finished payment with no committed transaction at one of its banks is a ledger mismatch", async () => {
  const paymentId = (await system.gateway.store.listCommittedAt("icici", "", 1))[0]!.id;
  tamperBank(system, "icici", "UPDATE transactions SET state = 'aborted' WHERE txid = ?", paymentId);
  const report = await auditNow();
  expect(report.mismatches).toEqual([`payment ${paymentId} succeeded and finished, but icici has no committed transaction for it`]);
  tamperBank(system, "icici", "UPDATE transactions SET state = 'committed' WHERE txid = ?", paymentId);
  expect((await auditNow()).ok).toBe(true);
});

test("a payment whose amount at the gateway differs from what its banks moved is a ledger mismatch at each bank", async () => {
  const payment = (await system.gateway.store.listCommittedAt("icici", "", 1))[0]!;
  const moved = formatMinor(payment.amountMinor);
  const recorded = formatMinor(payment.amountMinor + 100n);
  tamperGateway(system, "UPDATE payments SET amount_minor = amount_minor + 100 WHERE id = ?", payment.id);
  try {
    const report = await auditNow();
    expect(report.mismatches).toEqual([
      `payment ${payment.id}: hdfc moved ${moved} from account 1001, but the gateway recorded ${recorded} from account 1001`,
      `payment ${payment.id}: icici moved ${moved} to account 2001, but the gateway recorded ${recorded} to account 2001`,
    ]);
    // The banks' balances are untouched: only the records disagree.
    expect(report.violations).toEqual(["2 ledger mismatches between the gateway and the banks"]);
  } finally {
    tamperGateway(system, "UPDATE payments SET amount_minor = amount_minor - 100 WHERE id = ?", payment.id);
  }
  expect((await auditNow()).ok).toBe(true);
});

test("a bank ledger entry moving a payment's amount the wrong way is a ledger mismatch", async () => {
  const payment = (await system.gateway.store.listCommittedAt("icici", "", 1))[0]!;
  const amount = formatMinor(payment.amountMinor);
  // The payee's credit recorded as a debit of the same amount.
  tamperBank(system, "icici", "UPDATE ledger SET delta_minor = -delta_minor WHERE txid = ?", payment.id);
  try {
    expect((await auditNow()).mismatches).toEqual([`payment ${payment.id}: icici moved ${amount} from account 2001, but the gateway recorded ${amount} to account 2001`]);
  } finally {
    tamperBank(system, "icici", "UPDATE ledger SET delta_minor = -delta_minor WHERE txid = ?", payment.id);
  }
  expect((await auditNow()).ok).toBe(true);
});

test("money that appeared at a bank outside any payment breaks the total", async () => {
  tamperBank(system, "icici", "UPDATE accounts SET balance_minor = balance_minor + 1 WHERE number = '2001'");
  const report = await auditNow();
  expect(report.violations).toEqual([`total ${formatMoney(BigInt(report.loaded_total_minor) + 1n, "INR")} differs from the total first loaded ${formatMoney(report.loaded_total_minor, "INR")}`]);
  tamperBank(system, "icici", "UPDATE accounts SET balance_minor = balance_minor - 1 WHERE number = '2001'");
  expect((await auditNow()).ok).toBe(true);
});

test("a prepared transaction older than the in-doubt interval is reported", async () => {
  const move = { txid: "stuck-1", request_id: "stuck-1", legs: [{ account: "1001", delta_minor: -7 }, { account: "1002", delta_minor: 7 }] };
  await exchangeAt("hdfc", { prepare: [move] });
  await Bun.sleep(20);
  expect((await auditNow(10)).violations).toEqual(["hdfc: 1 prepared transactions older than 10ms"]);
  await exchangeAt("hdfc", { abort: [{ txid: "stuck-1", request_id: "" }] });
  expect((await auditNow(10)).ok).toBe(true);
});

test("a bank that cannot be reached cannot be audited, and says so", async () => {
  const withGhost = new BankLinks(new Map([...system.bankAddresses, ["ghost", `127.0.0.1:${await freePort()}`]]), loadCertFolder(join(system.certsDir, "gateway")), silentLogger, 2_000, systemClock);
  try {
    const report = await audit(system.gateway.store, withGhost, 60_000, { nowMs: () => systemClock.nowMs(), ledgerPageSize });
    expect(report.violations).toContain("ghost: unreachable, cannot be audited");
    expect(report.banks.find((bank) => bank.bank === "ghost")?.reachable).toBe(false);
  } finally {
    withGhost.close();
  }
});

test("a bank users are registered at that the gateway is not given: named as not audited, its absence not read as money lost", async () => {
  const hdfcOnly = new BankLinks(new Map([["hdfc", system.bankAddresses.get("hdfc")!]]), loadCertFolder(join(system.certsDir, "gateway")), silentLogger, 2_000, systemClock);
  try {
    const report = await audit(system.gateway.store, hdfcOnly, 60_000, { nowMs: () => systemClock.nowMs(), ledgerPageSize });
    expect(report.violations).toEqual(["icici: users are registered at it, but this gateway is not given it (--bank icici=HOST:PORT): cannot be audited"]);
    expect(report.banks.find((bank) => bank.bank === "icici")).toMatchObject({ reachable: false, error: "not given to this gateway (--bank icici=HOST:PORT)" });
  } finally {
    hdfcOnly.close();
  }
});

test("a payment committed at the payer's bank, its commit not yet at the payee's, audits clean: the money is in transit", async () => {
  const proxy = system.proxies.get("icici")!;
  const icici = system.banks.get("icici")!;
  const apply = icici.participant.apply;
  // Once icici has voted, the gateway cannot reach it: its Commit waits.
  afterVoting(system, "icici", () => {
    proxy.blackhole = true;
  });
  let paymentId = "";
  try {
    const reply = await pay(alice, "bob", 3_000);
    paymentId = reply.payment.id;
    expect(reply.payment.status).toBe("SUCCEEDED");
    expect(system.banks.get("hdfc")!.store.getTransaction(paymentId)?.state).toBe("committed");
    expect(icici.store.getTransaction(paymentId)?.state).toBe("prepared");
    const report = await auditNow();
    expect(report.violations).toEqual([]);
    expect(report.phase_two_unfinished).toBe(1);
  } finally {
    icici.participant.apply = apply;
    proxy.blackhole = false;
  }
  for (let i = 0; i < 300 && icici.store.getTransaction(paymentId)?.state !== "committed"; i++) await Bun.sleep(50);
  expect(icici.store.getTransaction(paymentId)?.state).toBe("committed");
  expect((await auditNow()).ok).toBe(true);
});

test("a hold for a payment nobody committed is not money in transit", async () => {
  // Half of a cross-bank payment the gateway never recorded: a debit held at hdfc.
  await exchangeAt("hdfc", { prepare: [{ txid: "unknown-hold", request_id: "unknown-hold", legs: [{ account: "1001", delta_minor: -900 }] }] });
  const report = await auditNow();
  expect(report.violations).toEqual([]);
  expect(report.banks.find((bank) => bank.bank === "hdfc")?.open_holds_minor).toBe("900");
  await exchangeAt("hdfc", { abort: [{ txid: "unknown-hold", request_id: "" }] });
});
