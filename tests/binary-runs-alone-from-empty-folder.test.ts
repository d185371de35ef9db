// Proves the deliverable: `build.ts` makes one executable that, copied alone
// into an empty folder outside the repository (no node_modules, no sources),
// prints its version and runs a whole `dev` system whose printed commands,
// pasted into a shell, log in, pay and audit through the same binary (named
// as it was started, ./ministripe); its printed dashboard command, run with
// only the port changed (to 0, any free one), serves the page's assets embedded in the binary;
// then it stops cleanly on Ctrl-C.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/local-cluster/cluster";
import pkg from "../package.json";
import { getWithToken, startPastedDashboard } from "./support/dashboard";

const root = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "ministripe-binary-"));
const built = join(work, "build", "ministripe");
const folder = join(work, "empty");

let running: Bun.Subprocess | undefined;

afterAll(async () => {
  // A test that failed half-way leaves no dev system running.
  if (running && running.exitCode === null) {
    running.kill("SIGINT");
    await Promise.race([running.exited, Bun.sleep(10_000)]);
  }
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

test("the compiled binary, alone in an empty folder, runs every role and serves the dashboard's embedded page", async () => {
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
  running = dev;
  const reader = dev.stdout.getReader();
  let banner = "";
  for (let i = 0; i < 200 && !banner.includes("Ctrl-C stops everything."); i++) {
    const chunk = await reader.read();
    if (chunk.done) break;
    banner += new TextDecoder().decode(chunk.value);
  }
  expect(banner).toContain(`gateway 127.0.0.1:${port}`);

  // What dev printed, pasted as it is into a shell: the binary by the path it was started with.
  const lines = banner.split("\n");
  const tryThese: string[] = [];
  for (const line of lines.slice(lines.indexOf("try, in another terminal:") + 1)) {
    if (!line.startsWith("  ")) break;
    tryThese.push(line.slice(2));
  }
  expect(tryThese).toContain("./ministripe pay --to bob --amount 100.50");
  const pasted = Bun.spawn(["sh", "-ec", tryThese.join("\n")], { cwd: work, env: { PATH: process.env.PATH ?? "", HOME: folder, TMPDIR: folder }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(pasted.stdout).text(), new Response(pasted.stderr).text(), pasted.exited]);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  expect(stdout).toContain("\nhdfc 1001: balance INR 5000.00, available INR 5000.00\n");
  expect(stdout).toContain("\npaid INR 100.50 to bob: payment ");
  expect(stdout).toEndWith("audit clean: every invariant holds\n");
  const client = { MINISTRIPE_HOME: join(folder, ".ministripe", "home", "alice"), MINISTRIPE_GATEWAY: `127.0.0.1:${port}` };
  const balance = await run(["balance", "--json"], client);
  expect(JSON.parse(balance.stdout)).toMatchObject({ balance_minor: "489950" });

  // The operator's dashboard as dev printed it, with --port 0 (its real port read from the URL it prints): the page's script comes out of the binary itself.
  const adminLine = lines.find((line) => line.startsWith("  ") && line.includes(" dashboard ") && line.includes("# the operator's page"));
  expect(adminLine).toBeDefined();
  const dashboard = await startPastedDashboard(adminLine!.slice(2), { cwd: folder, env: { PATH: process.env.PATH ?? "", HOME: folder, TMPDIR: folder } });
  try {
    const appJs = await getWithToken(dashboard, "/app.js");
    expect(appJs.status).toBe(200);
    const served = await appJs.text();
    expect(served.length).toBeGreaterThan(0);
    expect(served).toBe(readFileSync(join(root, "src", "dashboard", "assets", "app.js.txt"), "utf8"));
  } finally {
    await dashboard.stop();
  }

  dev.kill("SIGINT");
  expect(await dev.exited).toBe(0);
  for (const p of [port, port + 1, port + 2, port + 3]) expect(await portOpen(p)).toBe(false);
}, 120_000);
