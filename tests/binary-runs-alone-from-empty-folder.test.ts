// Proves the deliverable: `build.ts` makes one executable that, copied alone
// into an empty folder outside the repository (no node_modules, no sources),
// prints its version and runs a whole `dev` system that a client of the same
// binary can register with, log in to and pay through, then stops cleanly on Ctrl-C.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/cli/cluster";
import pkg from "../package.json";

const root = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "ministripe-binary-"));
const built = join(work, "build", "ministripe");
const folder = join(work, "empty");

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([join(folder, "ministripe"), ...args], { cwd: folder, env: { PATH: process.env.PATH ?? "", HOME: folder, TMPDIR: folder, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

test("the compiled binary, alone in an empty folder, runs every role", async () => {
  const build = Bun.spawnSync(["bun", "run", "build.ts", built], { cwd: root, stdout: "pipe", stderr: "pipe" });
  expect(build.exitCode).toBe(0);
  Bun.spawnSync(["mkdir", "-p", folder]);
  copyFileSync(built, join(folder, "ministripe"));
  Bun.spawnSync(["chmod", "+x", join(folder, "ministripe")]);
  expect(readdirSync(folder)).toEqual(["ministripe"]);

  const version = await run(["--version"]);
  expect(version.stdout.trim()).toBe(`ministripe ${pkg.version}`);

  const port = await freePort();
  const dev = Bun.spawn([join(folder, "ministripe"), "dev", "--port", String(port)], { cwd: folder, env: { PATH: process.env.PATH ?? "", HOME: folder, TMPDIR: folder }, stdout: "pipe", stderr: "pipe" });
  const reader = dev.stdout.getReader();
  let banner = "";
  for (let i = 0; i < 200 && !banner.includes("Ctrl-C"); i++) {
    const chunk = await reader.read();
    if (chunk.done) break;
    banner += new TextDecoder().decode(chunk.value);
  }
  expect(banner).toContain(`gateway 127.0.0.1:${port}`);

  const client = { MINISTRIPE_HOME: join(folder, ".ministripe", "home", "alice"), MINISTRIPE_GATEWAY: `127.0.0.1:${port}`, MINISTRIPE_PASSWORD: "alice-secret", MINISTRIPE_ACCOUNT_PIN: "1111" };
  expect((await run(["register", "--username", "alice", "--bank", "hdfc", "--account", "1001"], client)).exitCode).toBe(0);
  const bob = { ...client, MINISTRIPE_HOME: join(folder, ".ministripe", "home", "bob"), MINISTRIPE_PASSWORD: "bob-secret1", MINISTRIPE_ACCOUNT_PIN: "2222" };
  expect((await run(["register", "--username", "bob", "--bank", "icici", "--account", "2001"], bob)).exitCode).toBe(0);
  expect((await run(["login", "--username", "alice"], client)).exitCode).toBe(0);
  const paid = await run(["pay", "--to", "bob", "--amount", "100.50", "--json"], client);
  expect(paid.exitCode).toBe(0);
  expect(JSON.parse(paid.stdout)).toMatchObject({ status: "SUCCEEDED", amount_minor: "10050" });
  const balance = await run(["balance", "--json"], client);
  expect(JSON.parse(balance.stdout)).toMatchObject({ balance_minor: "489950" });
  const audit = await run(["audit", "--certs", join(folder, ".ministripe", "certs", "admin"), "--gateway", `127.0.0.1:${port}`]);
  expect(audit.exitCode).toBe(0);

  dev.kill("SIGINT");
  expect(await dev.exited).toBe(0);
  for (const p of [port, port + 1, port + 2, port + 3]) expect(await portOpen(p)).toBe(false);
}, 120_000);
