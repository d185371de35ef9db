// Proves one PIN tried on many accounts (PIN spraying), or a walk over account numbers, from one address is stopped at the gateway although no account sees more than one wrong PIN: the address's failed checks (wrong PIN, no such account) are counted across accounts, delayed, then refused with RESOURCE_EXHAUSTED for the window, even for an account whose PIN is right, and register nothing; proofs and checks a bank could not answer take back only their own attempt, so many real registrations from one address are never slowed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { delayFor, LoginThrottle, registrationPeerPolicy } from "../src/gateway/login-throttle";
import { failsWith, startSystem, type TestSystem } from "./support/system";

const sprayedAccounts = Array.from({ length: registrationPeerPolicy.failuresBeforeLockout }, (_, i) => `${5001 + i}`);
// Every account's PIN is 4000 + its index: "4242", tried on all of them, is right for none but one outside the sprayed range.
const accountsYaml = `currency: INR
banks:
  hdfc:
    accounts:
${sprayedAccounts.map((number, i) => `      - { number: "${number}", holder: "Holder ${i}", balance: "100.00", pin: "${4000 + i}" }`).join("\n")}
      - { number: "6000", holder: "Victim", balance: "100.00", pin: "4242" }
`;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"], accountsYaml, fillPins: false });
}, 30_000);
afterAll(async () => {
  await system.stop();
});

function register(username: string, account: string, pin: string) {
  return system.client("client-mallory").call("Register", { username, password: `${username}-password`, bank: "hdfc", account, account_pin: pin }, { retry: false });
}

test("the throttle: failures across accounts delay, then lock the address out; a proof takes back only its own attempt; the window forgets", async () => {
  let nowMs = 1_000_000;
  const throttle = new LoginThrottle(() => nowMs);
  const delays: number[] = [];
  for (let i = 0; i < registrationPeerPolicy.failuresBeforeLockout - 1; i++) delays.push((await throttle.registration("10.0.0.1")).delayMs);
  expect(delays.slice(0, registrationPeerPolicy.failuresBeforeDelay)).toEqual(Array(registrationPeerPolicy.failuresBeforeDelay).fill(0));
  expect(delays[registrationPeerPolicy.failuresBeforeDelay]).toBe(delayFor(registrationPeerPolicy.failuresBeforeDelay, registrationPeerPolicy));
  // A proof does not wipe the address's earlier failures: the next failure still locks it out.
  await (await throttle.registration("10.0.0.1")).succeeded();
  await throttle.registration("10.0.0.1");
  await expect(throttle.registration("10.0.0.1")).rejects.toThrow(`too many failed account checks from this address; try again in ${registrationPeerPolicy.lockoutMs / 60_000} minutes`);
  // Another address is untouched; logins from the locked one are a separate count.
  expect((await throttle.registration("10.0.0.2")).delayMs).toBe(0);
  expect((await throttle.attempt("alice", "10.0.0.1")).delayMs).toBe(0);
  nowMs += registrationPeerPolicy.lockoutMs + 1;
  expect((await throttle.registration("10.0.0.1")).delayMs).toBe(0);
  // Proofs alone never add up: a hundred real registrations from one address.
  for (let i = 0; i < 100; i++) await (await throttle.registration("10.0.0.3")).succeeded();
  expect((await throttle.registration("10.0.0.3")).delayMs).toBe(0);
});

test("one PIN sprayed over many accounts and unknown numbers from one address: refused before it finds the account it fits, nothing registered", async () => {
  // Half wrong PINs, half account numbers that do not exist: both are guesses. Sent at once: each counts as it is admitted.
  const guesses = sprayedAccounts.map((account, i) =>
    i % 2 === 0 ? failsWith(register(`sprayer${i}`, account, "4242"), "PERMISSION_DENIED") : failsWith(register(`walker${i}`, `${9001 + i}`, "4242"), "NOT_FOUND"),
  );
  await Promise.all(guesses);
  // The PIN is right for this one, yet the address is refused, and no account was blocked at the bank by it.
  const refused = await failsWith(register("sprayer-hit", "6000", "4242"), "RESOURCE_EXHAUSTED");
  expect(refused.message).toContain("too many failed account checks from this address; try again in 15 minutes");
  expect(await system.gateway.store.userOfAccount("hdfc", "6000")).toBeUndefined();
  const bank = system.banks.get("hdfc")!;
  expect(sprayedAccounts.filter((account) => bank.store.getAccountPin(account)!.pinFailures > 1)).toEqual([]);
  expect(bank.store.getAccountPin("6000")!.pinFailures).toBe(0);
});
