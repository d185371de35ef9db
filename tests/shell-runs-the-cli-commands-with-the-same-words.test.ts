// Proves `shell` runs each client command as the CLI does: `payments --limit 3`, `payment ID`, `balance --json` print exactly the CLI's output, and a refusal, a typo'd flag, a repeated flag or a negative amount print the CLI's own error line (no "error:" or "refused:" of the shell's own); a command that needs a password points to another terminal; a line's words are split as a shell splits them (single and double quotes, quotes inside a word).
import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cli, ShellProcess, until } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob"]);

beforeAll(async () => {
  for (const [i, amount] of ["1.00", "2.00", "3.00", "4.00"].entries()) {
    expect((await cli(setup.alice, "pay", "--to", "bob", "--amount", amount, "--key", `shell-same-${i}`)).exitCode).toBe(0);
  }
});

/** Sends one line and returns the lines the command printed (background notices left out) once `count` have come. */
async function shellLines(shell: ShellProcess, line: string, count: number): Promise<string[]> {
  const from = shell.output.length;
  shell.send(line);
  const answer = () => shell.output.slice(from).filter((printed) => !printed.startsWith("[notice]"));
  await until(`${count} lines for "${line}"`, () => answer().length >= count);
  await Bun.sleep(200); // nothing more may follow
  return answer();
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

test("the shell's commands print exactly what the CLI prints, results and errors alike", async () => {
  const { alice } = setup;
  const shell = new ShellProcess(alice);
  await shell.waitFor(/^logged in as alice/);

  const payments = await cli(alice, "payments", "--limit", "3");
  expect(lines(payments.stdout)).toHaveLength(3);
  expect(await shellLines(shell, "payments --limit 3", 3)).toEqual(lines(payments.stdout));

  const payment = await cli(alice, "payment", "shell-same-0");
  expect(await shellLines(shell, "payment shell-same-0", 1)).toEqual(lines(payment.stdout));

  const balance = await cli(alice, "balance", "--json");
  expect(JSON.parse((await shellLines(shell, "balance --json", 1))[0]!)).toEqual(JSON.parse(balance.stdout));

  for (const args of [
    ["pay", "--to", "alice", "--amount", "1.00"],
    ["pay", "--to", "bob", "--ammount", "5"],
    ["pay", "--to", "bob", "--amount", "5", "--amount", "6"],
    ["pay", "--to", "bob", "--amount", "-1"],
    ["payment", "no-such-key"],
    ["payments", "--limit", "0"],
  ]) {
    const fromCli = await cli(alice, ...args);
    expect(fromCli.exitCode).toBeGreaterThan(0);
    expect(await shellLines(shell, args.join(" "), 1)).toEqual(lines(fromCli.stderr));
  }
  expect(await shellLines(shell, "login --username alice", 1)).toEqual([`ministripe login: run it in another terminal ("ministripe login ..."); the shell keeps going and uses the new session`]);
  expect(await shellLines(shell, "paymnets", 1)).toEqual(['unknown command "paymnets"; did you mean payments? (type "help")']);
  expect(await shellLines(shell, "balance --gateway 127.0.0.1:1", 1)).toEqual(["ministripe balance: --gateway is set when the shell starts (ministripe shell --gateway ...)"]);

  shell.send("exit");
  expect(await shell.done).toBe(0);
  expect(shell.output.filter((line) => /^(error|refused):/.test(line))).toEqual([]);
  // Nothing the shell refused moved money: still the four payments of the setup.
  expect(JSON.parse((await cli(alice, "balance", "--json")).stdout).balance_minor).toBe(String(500_000 - 1_000));
});

test("the shell reads quotes as a shell does: single, double, and inside a word", async () => {
  const { alice, bob } = setup;
  const bobBeforeMinor = BigInt(JSON.parse((await cli(bob, "balance", "--json")).stdout).balance_minor);
  const shell = new ShellProcess(alice);
  await shell.waitFor(/^logged in as alice/);
  const notes = new Map([
    ["shell-quoted-single", "pay --to bob --amount 0.10 --key shell-quoted-single --note 'for lunch'"],
    ["shell-quoted-inside", `pay --to bob --amount 0.20 --key shell-quoted-inside --note="it's lunch"`],
  ]);
  for (const line of notes.values()) expect((await shellLines(shell, line, 1))[0]).toMatch(/^paid/);
  expect(await shellLines(shell, "pay --to bob --amount 0.30 --note 'unfinished", 1)).toEqual(["ministripe shell: unbalanced single quotes"]);
  shell.send("exit");
  expect(await shell.done).toBe(0);

  expect(JSON.parse((await cli(alice, "payment", "shell-quoted-single", "--json")).stdout).note).toBe("for lunch");
  expect(JSON.parse((await cli(alice, "payment", "shell-quoted-inside", "--json")).stdout).note).toBe("it's lunch");
  // The unbalanced line sent nothing: the two quoted payments only, to the paisa.
  expect(JSON.parse((await cli(bob, "balance", "--json")).stdout).balance_minor).toBe(String(bobBeforeMinor + 30n));
});
