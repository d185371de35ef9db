// Proves `ministripe payments` reaches every payment, not only the newest 500: `--before` the last payment listed gives the next page (JSON names it: `next_before`, while a page comes full), which pages back to the first payment, and a `--before` that is empty, not a payment id, or not one of yours, is refused in one line.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliPay } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob", "carol"]);

test("pages of two, from the newest payment back to the first", async () => {
  const { alice } = setup;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await cliPay(alice, "bob", "1.00"));
  const newestFirst = [...ids].reverse();

  const seen: string[] = [];
  let before = "";
  for (let page = 0; page < 5; page++) {
    const listed = await cli(alice, "payments", "--limit", "2", ...(before ? ["--before", before] : []));
    expect(listed.exitCode).toBe(0);
    const ids = listed.stdout.trimEnd().split("\n").map((line) => newestFirst.find((id) => line.includes(id)) ?? line);
    seen.push(...ids);
    if (ids.length < 2) break;
    before = ids.at(-1)!;
  }
  expect(seen).toEqual(newestFirst);
  expect((await cli(alice, "payments", "--limit", "2", "--before", newestFirst[4]!)).stdout).toBe(`no payments before ${newestFirst[4]}\n`);

  const json = JSON.parse((await cli(alice, "payments", "--limit", "2", "--json")).stdout);
  expect(json.payments.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(0, 2));
  expect(json.next_before).toBe(newestFirst[1]);
  const last = JSON.parse((await cli(alice, "payments", "--limit", "2", "--before", newestFirst[3]!, "--json")).stdout);
  expect(last.payments.map((p: { id: string }) => p.id)).toEqual([newestFirst[4]]);
  expect(last.next_before).toBeUndefined();
});

test("a --before that is empty, not a payment id, or not one of yours, is refused in one line", async () => {
  const { alice, carol } = setup;
  const empty = await cli(alice, "payments", "--before", "");
  expect({ exitCode: empty.exitCode, stderr: empty.stderr }).toEqual({ exitCode: 2, stderr: "ministripe payments: --before needs a value: --before PAYMENT_ID\n" });
  const malformed = await cli(alice, "payments", "--before", "not an id!");
  expect({ exitCode: malformed.exitCode, stderr: malformed.stderr }).toEqual({ exitCode: 2, stderr: 'ministripe payments: --before: "not an id!" is not a payment id (see "ministripe payments")\n' });
  const alicesId = await cliPay(alice, "bob", "1.00");
  const notHers = await cli(carol, "payments", "--before", alicesId);
  expect(notHers.stderr).toBe(`ministripe payments: no payment "${alicesId}" to list from\n`);
  expect(notHers.exitCode).toBe(2);
  expect(notHers.stdout).toBe("");
});
