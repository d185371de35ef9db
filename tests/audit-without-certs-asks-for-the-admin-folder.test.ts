// Proves `audit` without an admin certificate folder says it needs one (exit 2) instead of hinting at a client's, and creates no client home or outbox; with --certs it runs without a client home either.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMain } from "./support/cli";
import { startSystem, type TestSystem } from "./support/system";

// Each command is a process of its own: on a loaded machine a few take seconds.
setDefaultTimeout(60_000);

let system: TestSystem;
let folder: string;
/** The user's HOME, apart from the working folder: Bun keeps its own cache there. */
let userHome: string;
beforeAll(async () => {
  system = await startSystem();
  folder = mkdtempSync(join(tmpdir(), "ministripe-audit-"));
  userHome = mkdtempSync(join(tmpdir(), "ministripe-audit-home-"));
});
afterAll(async () => {
  await system.stop();
  rmSync(folder, { recursive: true, force: true });
  rmSync(userHome, { recursive: true, force: true });
});

test("audit without --certs, where there is no certs/admin, asks for the admin folder and creates nothing", async () => {
  const result = await runMain(["audit", "--gateway", system.gatewayAddress], { cwd: folder, env: { HOME: userHome, MINISTRIPE_HOME: join(folder, "client-home") } });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toBe("ministripe audit: audit needs the admin certificate folder, and there is none at certs/admin: pass --certs DIR (e.g. --certs certs/admin, or --certs .ministripe/certs/admin under dev)\n");
  expect(readdirSync(folder)).toEqual([]);
  expect(existsSync(join(userHome, ".ministripe"))).toBe(false);
});

test("audit with the admin folder runs and still creates no client home", async () => {
  const result = await runMain(["audit", "--gateway", system.gatewayAddress, "--certs", join(system.certsDir, "admin")], { cwd: folder, env: { HOME: userHome, MINISTRIPE_HOME: join(folder, "client-home") } });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toEndWith("audit clean: every invariant holds\n");
  expect(existsSync(join(folder, "client-home"))).toBe(false);
  expect(existsSync(join(userHome, ".ministripe"))).toBe(false);
});
