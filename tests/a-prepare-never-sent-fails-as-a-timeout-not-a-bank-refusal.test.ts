// Proves a prepare the gateway never sent (it waited in the bank's queue past
// its payment's deadline) decides the payment as prepare_timeout, "a bank did
// not vote within the prepare timeout", not as rejected, "a bank refused the
// payment": no bank saw it, and the payer's message and the failure-code
// metrics must not blame one. A bank's own NO keeps its reason.
import { expect, test } from "bun:test";
import { decisionOf, voteResultOf } from "../src/gateway/coordinator";
import { notSentReason } from "../src/gateway/bank-links";

test("a prepare not sent is the payment's timeout; a bank's NO is the bank's", () => {
  const notSent = voteResultOf({ txid: "t1", yes: false, reason: notSentReason });
  expect(decisionOf([{ kind: "yes" }, notSent])).toMatchObject({ decision: "ABORT", failureCode: "prepare_timeout" });
  expect(decisionOf([{ kind: "yes" }, voteResultOf({ txid: "t1", yes: false, reason: "insufficient_funds" })])).toMatchObject({ decision: "ABORT", failureCode: "insufficient_funds" });
  expect(decisionOf([{ kind: "yes" }, voteResultOf({ txid: "t1", yes: false, reason: "aborted" })])).toMatchObject({ decision: "ABORT", failureCode: "rejected" });
  expect(decisionOf([voteResultOf({ txid: "t1", yes: true, reason: "" }), voteResultOf({ txid: "t1", yes: true, reason: "" })])).toMatchObject({ decision: "COMMIT" });
});
