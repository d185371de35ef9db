// Proves the flag parser speaks in the user's words: an unknown flag (or command) is named with the nearest one suggested, a negative amount gets the amount's own message, a repeated flag is refused (exit 2), and every command's help keeps its columns apart with no "(default default)".
import { expect, setDefaultTimeout, test } from "bun:test";
import { runMain } from "./support/cli";

// Each command is a process of its own: on a loaded machine a few take seconds.
setDefaultTimeout(60_000);

test("an unknown flag is named and the nearest flag suggested; nothing of the parser's own text", async () => {
  const typo = await runMain(["pay", "--ammount", "5", "--to", "bob"]);
  expect(typo.exitCode).toBe(2);
  expect(typo.stderr).toBe("ministripe pay: unknown flag --ammount; did you mean --amount? (see ministripe pay --help)\n");
  const swapped = await runMain(["payments", "--limti", "3"]);
  expect(swapped.stderr).toBe("ministripe payments: unknown flag --limti; did you mean --limit? (see ministripe payments --help)\n");
  const far = await runMain(["balance", "--frobnicate"]);
  expect(far.exitCode).toBe(2);
  expect(far.stderr).toBe("ministripe balance: unknown flag --frobnicate (see ministripe balance --help)\n");
});

test("an unknown command is named and the nearest command suggested", async () => {
  const typo = await runMain(["paymnets"]);
  expect(typo.exitCode).toBe(2);
  expect(typo.stderr).toBe('ministripe: unknown command "paymnets"; did you mean payments? (see ministripe --help)\n');
});

test("a negative amount gets the amount's own message, not the parser's", async () => {
  const negative = await runMain(["pay", "--to", "bob", "--amount", "-1"]);
  expect(negative.exitCode).toBe(2);
  expect(negative.stderr).toBe("ministripe pay: --amount: must be greater than zero\n");
});

test("a flag given twice is refused, whichever form it takes", async () => {
  const twice = await runMain(["pay", "--to", "bob", "--amount", "5", "--amount", "6"]);
  expect(twice.exitCode).toBe(2);
  expect(twice.stderr).toBe("ministripe pay: --amount given twice: give it once\n");
  const mixed = await runMain(["pay", "--to=bob", "--amount", "5", "--to", "carol"]);
  expect(mixed.exitCode).toBe(2);
  expect(mixed.stderr).toBe("ministripe pay: --to given twice: give it once\n");
  const missing = await runMain(["pay", "--to", "--amount", "5"]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr).toBe("ministripe pay: --to needs a value: --to USERNAME\n");
});

test("help columns never run together, and a default is shown only where there is one to show", async () => {
  const gateway = await runMain(["gateway", "--help"]);
  expect(gateway.stdout).toContain("\n  --prepare-timeout DURATION  abort a payment whose votes are not all in by then (default 5s)\n");
  const certs = await runMain(["certs", "--help"]);
  expect(certs.stdout).not.toContain("(default default)");
  // Every command the top-level help lists.
  const commands = (await runMain(["--help"])).stdout.split("\n").flatMap((line) => /^  ([a-z]+) /.exec(line)?.[1] ?? []);
  expect(commands).toContain("gateway");
  for (const command of commands) {
    const help = await runMain([command, "--help"]);
    const flagLines = help.stdout.split("\n").filter((line) => line.startsWith("  --"));
    expect(flagLines.length).toBeGreaterThan(0);
    for (const line of flagLines) expect(line).toMatch(/^  --[a-z-]+( [A-Z_:=]+)?  +\S/);
    // One column: every description starts at the same place.
    const starts = new Set(flagLines.map((line) => /^  --[a-z-]+( [A-Z_:=]+)? +/.exec(line)![0].length));
    expect(starts.size).toBe(1);
  }
});
