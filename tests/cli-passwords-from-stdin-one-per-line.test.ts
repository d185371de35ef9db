// Proves --password-stdin reads one password per line: passwd takes the
// current password and the new one from two lines of one pipe (it failed with
// "internal error", exit 1, reading the second), and a line ending in "\r\n"
// (a file written on Windows) gives the password without the "\r".
import { expect, setDefaultTimeout, test } from "bun:test";
import { cliArgs, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["carol"], { banks: ["sbi"] });

/** A command with `stdin` piped to it and no password in the environment. */
async function withStdin(user: CliUser, stdin: string, ...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, MINISTRIPE_HOME: user.home };
  delete env.MINISTRIPE_PASSWORD;
  delete env.MINISTRIPE_NEW_PASSWORD;
  const child = Bun.spawn(cliArgs(user, args), { env, stdin: new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

test("passwd --password-stdin takes the current and the new password from two lines", async () => {
  const { carol } = setup;
  const changed = await withStdin(carol, "carol-password\ncarol-new-password\n", "passwd", "--password-stdin");
  expect({ exitCode: changed.exitCode, stderr: changed.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect((await withStdin(carol, "carol-password\n", "login", "--username", "carol", "--password-stdin")).exitCode).toBe(3);
  expect((await withStdin(carol, "carol-new-password\n", "login", "--username", "carol", "--password-stdin")).exitCode).toBe(0);
});

test("a password line ending in \\r\\n is the password without the \\r", async () => {
  const { carol } = setup;
  const login = await withStdin(carol, "carol-new-password\r\n", "login", "--username", "carol", "--password-stdin");
  expect({ exitCode: login.exitCode, stderr: login.stderr }).toEqual({ exitCode: 0, stderr: "" });
});
