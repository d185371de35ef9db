// Proves the user's MFA flow through the CLI: `mfa enable` prints a secret
// and says how to turn it on, login still needs no code (a secret mistyped
// into an app locks no one out); `mfa confirm` with a wrong code is exit 3
// and changes nothing, without --otp exit 2; with a code the app shows, the
// second factor is on and `login` needs --otp.
import { expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import { cli } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

const setup = systemWithCliUsers(["alice"], { banks: ["hdfc"] });

test("mfa enable, then confirm with the app's code: only then does login need --otp", async () => {
  const { alice } = setup;
  const enabled = await cli(alice, "mfa", "enable");
  expect(enabled.exitCode).toBe(0);
  expect(enabled.stdout).toContain("mfa confirm --otp CODE");
  const secret = /secret: ([A-Z2-7]+)/.exec(enabled.stdout)![1]!;
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });

  expect((await cli(alice, "login", "--username", "alice")).exitCode).toBe(0);
  const noCode = await cli(alice, "mfa", "confirm");
  expect({ exitCode: noCode.exitCode, stderr: noCode.stderr }).toEqual({ exitCode: 2, stderr: "ministripe mfa: mfa confirm needs --otp CODE: the code your authenticator app shows now\n" });
  const wrong = String((Number(app.generate()) + 500_000) % 1_000_000).padStart(6, "0");
  const refused = await cli(alice, "mfa", "confirm", "--otp", wrong);
  expect({ exitCode: refused.exitCode, stderr: refused.stderr }).toEqual({ exitCode: 3, stderr: "ministripe mfa: wrong one-time code\n" });
  expect((await cli(alice, "login", "--username", "alice")).exitCode).toBe(0);

  const confirmed = await cli(alice, "mfa", "confirm", "--otp", app.generate());
  expect({ exitCode: confirmed.exitCode, stdout: confirmed.stdout }).toEqual({ exitCode: 0, stdout: "second factor on: from now on, log in with --otp CODE\n" });
  const withoutCode = await cli(alice, "login", "--username", "alice");
  expect(withoutCode.exitCode).toBe(3);
  expect(withoutCode.stderr).toContain("--otp CODE");
  // The confirming code is spent; the next step's (one step of drift is accepted) logs in.
  expect((await cli(alice, "login", "--username", "alice", "--otp", app.generate({ timestamp: Date.now() + 30_000 }))).exitCode).toBe(0);
});
