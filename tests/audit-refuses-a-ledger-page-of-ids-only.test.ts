// Proves the audit reads a bank's ledger page with what each transaction
// moved, and refuses, in one line saying what to do, a page of ids only (what
// a bank from before the audit compared amounts answers) rather than report
// every payment missing at that bank.
import { expect, test } from "bun:test";
import { bankCommittedOf } from "../src/gateway/audit";

test("a page with each transaction's legs is read as written", () => {
  const page = { txids: [], transactions: [{ txid: "t1", legs: [{ account: "1001", delta_minor: "-250" }] }] };
  expect(bankCommittedOf("hdfc", page)).toEqual([{ id: "t1", legs: [{ account: "1001", deltaMinor: -250n }] }]);
});

test("a page of ids only is refused, naming the bank and what to do", () => {
  expect(() => bankCommittedOf("hdfc", { txids: ["t1"], transactions: [] })).toThrow("bank hdfc answers its ledger with ids only (a ministripe from before the audit compared amounts): upgrade it to audit it");
  expect(bankCommittedOf("hdfc", { txids: [], transactions: [] })).toEqual([]);
});
