// Proves a bank too busy to take a prepare (its queue full: RESOURCE_EXHAUSTED)
// aborts the payment as bank_unavailable, as an unreachable bank does (a
// full bank link on the gateway's side already says so), not as "rejected",
// which means a bank answered something the gateway cannot use.
import { expect, test } from "bun:test";
import { decisionOf } from "../src/gateway/coordinator";
import { AppError, Code } from "../src/lib/errors";

test("a bank's full queue and an unreachable bank abort alike, as bank_unavailable; an unusable answer is rejected", () => {
  const busy = decisionOf([{ kind: "yes" }, { kind: "error", error: new AppError(Code.ResourceExhausted, "bank icici is busy; try again shortly") }]);
  expect(busy).toEqual({ decision: "ABORT", failureCode: "bank_unavailable", failureMessage: "a bank could not be reached: bank icici is busy; try again shortly" });
  const unreachable = decisionOf([{ kind: "error", error: new AppError(Code.Unavailable, "connection refused") }, { kind: "yes" }]);
  expect(unreachable.failureCode).toBe("bank_unavailable");
  const garbage = decisionOf([{ kind: "yes" }, { kind: "error", error: new AppError(Code.Internal, "a reply it cannot read") }]);
  expect(garbage.failureCode).toBe("rejected");
});
