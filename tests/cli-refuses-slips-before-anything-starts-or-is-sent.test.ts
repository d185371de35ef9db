// Proves that slips in what a user types are usage errors (exit 2, one line naming the flag and its range) caught before anything starts or is sent: a session TTL, prepare timeout, takeover bound or in-doubt interval out of range, a one-time code that is not 6 digits, an empty password on standard input (not a wrong password counted against the account), a bank or client named twice to `certs init`, or a --hosts entry that is no host name or IP address (nothing written).
import { expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { deadAddress, runMain } from "./support/cli";

setDefaultTimeout(60_000);

test("durations out of range are refused with their range, before a gateway or bank starts", async () => {
  const bank = ["--bank", "hdfc=127.0.0.1:1", "--port", "0"];
  const cases: [string[], string][] = [
    [["gateway", ...bank, "--session-ttl", "0s"], 'ministripe gateway: --session-ttl: "0s" is out of range: from 1s to 720h\n'],
    [["gateway", ...bank, "--session-ttl", "100000h"], 'ministripe gateway: --session-ttl: "100000h" is out of range: from 1s to 720h\n'],
    [["gateway", ...bank, "--prepare-timeout", "1ms"], 'ministripe gateway: --prepare-timeout: "1ms" is out of range: from 50ms to 10m\n'],
    [["gateway", ...bank, "--key-retention", "999999999h"], 'ministripe gateway: --key-retention: "999999999h" is out of range: from 24h to 8760h\n'],
    [["gateway", ...bank, "--key-retention", "1h"], 'ministripe gateway: --key-retention: "1h" is out of range: from 24h to 8760h\n'],
    [["gateway", ...bank, "--in-doubt-after", "48h"], 'ministripe gateway: --in-doubt-after: "48h" is out of range: from 50ms to 24h\n'],
    [["gateway", ...bank, "--database", "postgres://u@127.0.0.1:1/db", "--name", "g1", "--takeover-after", "1h"], 'ministripe gateway: --takeover-after: "1h" is out of range: from 2s to 10m\n'],
    [["bank", "--name", "hdfc", "--port", "0", "--in-doubt-after", "48h"], 'ministripe bank: --in-doubt-after: "48h" is out of range: from 50ms to 24h\n'],
  ];
  for (const [args, line] of cases) {
    const result = await runMain(args);
    expect({ args, stderr: result.stderr, exitCode: result.exitCode }).toEqual({ args, stderr: line, exitCode: 2 });
  }
});

test("a one-time code that is not 6 digits and an empty password from standard input are usage errors, and nothing reaches the gateway", async () => {
  // Nothing listens there: a command that tried to call would exit 4 (cannot reach the gateway).
  const gateway = await deadAddress();
  const home = ["--home", `${process.env.TMPDIR ?? "/tmp"}/ministripe-slips-${process.pid}`, "--gateway", gateway];
  const otp = await runMain(["login", "--username", "alice", "--otp", "abc", ...home], { env: { MINISTRIPE_PASSWORD: "alice-password" } });
  expect(otp.stderr).toBe("ministripe login: --otp: the 6-digit code your authenticator app shows\n");
  expect(otp.exitCode).toBe(2);
  // runMain's standard input is empty; MINISTRIPE_PASSWORD unset so --password-stdin is read.
  const empty = await runMain(["login", "--username", "alice", "--password-stdin", ...home], { env: { MINISTRIPE_PASSWORD: "" } });
  expect(empty.stderr).toBe("ministripe login: no password: standard input was empty\n");
  expect(empty.exitCode).toBe(2);
  const disable = await runMain(["mfa", "disable", ...home], { env: { MINISTRIPE_PASSWORD: "alice-password" } });
  expect({ stderr: disable.stderr, exitCode: disable.exitCode }).toEqual({ stderr: "ministripe mfa: mfa disable needs --otp CODE: the code your authenticator app shows now\n", exitCode: 2 });
});

test("certs init with a host that is not a host name or an IP address is refused before it writes anything", async () => {
  const dir = `${process.env.TMPDIR ?? "/tmp"}/ministripe-certs-hosts-${process.pid}`;
  for (const host of ["1.2.3.4:50", "1.2.3.4.5", "a b", "-x", "host_with_underscore", "::ffff:1.2.3.4", "fe80::1%eth0"]) {
    const run = await runMain(["certs", "init", "--dir", dir, "--hosts", `localhost,${host}`]);
    expect({ host, stderr: run.stderr, exitCode: run.exitCode }).toEqual({ host, stderr: `ministripe certs: --hosts: "${host}" is not a host name or an IP address (no port: "10.0.0.5", "gw.example.com")\n`, exitCode: 2 });
    expect(existsSync(dir)).toBe(false);
  }
  const good = await runMain(["certs", "init", "--dir", dir, "--hosts", "localhost,127.0.0.1,::1,gw-1.example.com", "--banks", "hdfc"]);
  expect(good.exitCode).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

test("certs init with a name given twice is refused, and writes nothing", async () => {
  const dir = `${process.env.TMPDIR ?? "/tmp"}/ministripe-certs-twice-${process.pid}`;
  const banks = await runMain(["certs", "init", "--dir", dir, "--banks", "hdfc,hdfc"]);
  expect(banks.stderr).toBe('ministripe certs: --banks: "hdfc" given twice: each name once\n');
  expect(banks.exitCode).toBe(2);
  const clients = await runMain(["certs", "init", "--dir", dir, "--clients", "alice,bob,alice"]);
  expect(clients.stderr).toBe('ministripe certs: --clients: "alice" given twice: each name once\n');
  expect(clients.exitCode).toBe(2);
  expect(existsSync(dir)).toBe(false);
});
