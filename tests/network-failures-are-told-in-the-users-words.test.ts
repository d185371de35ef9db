// Proves a failure of the connection itself reaches people in their words, never grpc-js's or the OS's text: refused, lost (a channel closed or shut down under a call, as when a bank stops during an audit), no answer within the deadline, a server whose certificate names another peer; a server's own answer keeps its message.
import { expect, test } from "bun:test";
import { status } from "@grpc/grpc-js";
import { Code } from "../src/lib/errors";
import { fromCallError } from "../src/rpc/status";

function told(code: number, details: string) {
  return fromCallError(Object.assign(new Error(details), { code, details }), "Bank.GetBalance");
}

test("the library's words become the user's; a server's answer is kept", () => {
  for (const [details, words] of [
    ["No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1", "connection refused"],
    ["Channel closed before call started", "connection lost"],
    ["Channel has been shut down", "connection lost"],
    ["Connection dropped", "connection lost"],
    ["Deadline exceeded after 10.002s", "no answer within 10s"],
    ["Deadline exceeded", "no answer in time"],
    ["No connection established. Last error: Hostname/IP does not match certificate's altnames: Host: gateway. is not in the cert's altnames: DNS:bank-hdfc, IP Address:127.0.0.1", "the server there is bank-hdfc, by its certificate"],
  ] as const) {
    const error = told(status.UNAVAILABLE, details);
    expect({ details, code: error.code, message: error.message }).toEqual({ details, code: Code.Unavailable, message: words });
  }
  expect(told(status.FAILED_PRECONDITION, "this account is not enabled for online payments").message).toBe("this account is not enabled for online payments");
});
