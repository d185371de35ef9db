// Proves a command given --json that fails still prints one JSON object on
// stdout (SPEC: "--json: one JSON object on stdout, for scripts"): its error's
// code, message and exit code, beside the usual one line on stderr; for
// validation (exit 2), authentication (3) and an unreachable gateway (4).
// And `help COMMAND` is that command's help.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, deadAddress, runMain, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice"], { banks: ["hdfc"] });

test("a failed command with --json prints its error as one JSON object on stdout, and the line on stderr", async () => {
  const { alice } = setup;
  const cases: [string[], CliUser, number, string][] = [
    [["pay", "--to", "bob", "--amount", "0", "--json"], alice, 2, "INVALID_ARGUMENT"],
    [["login", "--username", "alice", "--json"], { ...alice, password: "not-alices-password" }, 3, "UNAUTHENTICATED"],
    [["balance", "--json"], { ...alice, gateway: await deadAddress() }, 4, "UNAVAILABLE"],
  ];
  for (const [args, user, exitCode, code] of cases) {
    const run = await cli(user, ...args);
    expect({ args, exitCode: run.exitCode }).toEqual({ args, exitCode });
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]!) as { error: { code: string; message: string; exit_code: number } };
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.exit_code).toBe(exitCode);
    expect(run.stderr).toBe(`ministripe ${args[0]}: ${parsed.error.message}\n`);
  }
});

test("help COMMAND prints that command's help", async () => {
  const help = await runMain(["help", "pay"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("usage: ministripe pay --to USERNAME --amount 100.50");
});
