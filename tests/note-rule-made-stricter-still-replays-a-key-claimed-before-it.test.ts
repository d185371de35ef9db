// Proves a note rule made stricter (invisible and text-direction characters refused) never turns a resend into a refusal: a key claimed with such a note before the rule (by a gateway of an earlier version, or from an entry queued then) is answered as its replay, so the client does not release the key and pay again; a new key with that note is refused, and nothing moves.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { fingerprintOf } from "../src/gateway/payments";
import { paymentRows } from "./support/gateway-rows";
import { failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let alice: GatewayClient;
const note = "rent\u200B for March";

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(async () => {
  await system.stop();
});

test("a resend of a key claimed with a note the rule now refuses: its replay; a new key with that note: INVALID_ARGUMENT", async () => {
  const key = "claimed-under-the-earlier-rule";
  // Claimed and decided as a gateway of the earlier rule did: the row holds the note as sent.
  const row = paymentRows(() => `earlier-${Date.now()}`)({ idempotencyKey: key, note, amountMinor: 700n, fingerprint: fingerprintOf({ idempotencyKey: key, toUsername: "bob", amountMinor: 700n, note }) });
  const claim = await system.gateway.store.claim(row);
  expect(claim.claimed).toBe(true);
  await system.gateway.store.decide({ id: row.id, decision: "ABORT", failureCode: "prepare_timeout", failureMessage: "the gateway restarted before every bank voted; nothing moved", decidedAtMs: Date.now() }, claim.row);

  const resend = await alice.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "700", note }, { retry: false });
  expect(resend.replayed).toBe(true);
  expect(resend.payment).toMatchObject({ id: row.id, status: "FAILED" });

  const fresh = await failsWith(alice.call("Pay", { idempotency_key: "a-new-key", to_username: "bob", amount_minor: "700", note }, { retry: false }), "INVALID_ARGUMENT");
  expect(fresh.message).toBe("note: no invisible or text-direction characters (U+202E and the like)");
  expect(await system.gateway.store.paymentByKey("alice", "a-new-key")).toBeUndefined();
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici"]));
});
