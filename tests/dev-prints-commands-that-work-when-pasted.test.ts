// Proves `dev` as a person meets it: it names each sample account with the PIN registering it needs; the commands it prints, pasted into a shell as they are, log in, pay the second user it registered and audit clean; its two dashboard commands, pasted with only the port changed (to 0, any free one, read back from the URL they print), serve the user's page and the operator's with the token they print, and stop on SIGTERM; a bank that dies is reported and restarted, and payments to it work again, at most 5 times; a second `dev` on the same ports or folder says so plainly, and the first one's logs are left as they were; started again in its folder, it says its users were registered by an earlier run rather than vouching for their passwords.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/local-cluster/cluster";
import { mainPath, runMain, waitMsMax } from "./support/cli";
import { getWithToken, startPastedDashboard } from "./support/dashboard";

setDefaultTimeout(180_000);
const folder = mkdtempSync(join(tmpdir(), "ministripe-dev-"));
const elsewhere = mkdtempSync(join(tmpdir(), "ministripe-dev-second-"));
let port: number;
let dev: ReturnType<typeof Bun.spawn>;
let printed = "";

/** The environment of a fresh terminal: nothing of ministripe's set. */
function freshEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env as Record<string, string>).filter(([name]) => !name.startsWith("MINISTRIPE_")));
}

async function readUntil(text: string): Promise<void> {
  const deadlineAtMs = Date.now() + 60_000;
  while (!printed.includes(text)) {
    if (Date.now() > deadlineAtMs || dev.exitCode !== null) throw new Error(`dev never printed "${text}"; it printed:\n${printed}`);
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  port = await freePort();
  dev = Bun.spawn(["bun", mainPath, "dev", "--port", String(port)], { cwd: folder, env: freshEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of dev.stdout as ReadableStream<Uint8Array>) printed += decoder.decode(chunk, { stream: true });
  })();
  await readUntil("Ctrl-C stops everything.");
});
afterAll(async () => {
  dev.kill("SIGINT");
  await Promise.race([dev.exited, Bun.sleep(waitMsMax).then(() => dev.kill("SIGKILL"))]);
  rmSync(folder, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

/** The indented lines after `heading`, up to the next line that is not indented. */
function block(heading: string): string[] {
  const lines = printed.split("\n");
  const start = lines.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("  ")) break;
    out.push(line.slice(2));
  }
  return out;
}

async function paste(lines: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const shell = Bun.spawn(["sh", "-ec", lines.join("\n")], { cwd: tmpdir(), env: freshEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(shell.stdout).text(), new Response(shell.stderr).text(), shell.exited]);
  return { exitCode, stdout, stderr };
}

test("the printed commands work when pasted: log in, pay the other registered user, audit; and register someone else", async () => {
  const tryThese = block("try, in another terminal:");
  expect(tryThese[0]).toBe(`cd ${folder}`);
  expect(tryThese.some((line) => line.endsWith(" pay --to bob --amount 100.50"))).toBe(true);
  const result = await paste(tryThese);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/^logged in as alice until /);
  expect(result.stdout).toContain("\nhdfc 1001: balance INR 5000.00, available INR 5000.00\n");
  expect(result.stdout).toContain("\npaid INR 100.50 to bob: payment ");
  expect(result.stdout).toEndWith("audit clean: every invariant holds\n");

  const registerOther = block("to register someone else (carol, whose home holds carol's certificate):");
  const registered = await paste([tryThese[0]!, ...registerOther]);
  expect(registered.stderr).toBe("");
  expect(registered.stdout).toBe("registered carol: account 3001 at sbi (Carol)\n");
});

test("it names each sample account with the PIN registering it needs, the one its register command uses", () => {
  expect(block("sample accounts (bank, number, holder, the PIN registering it needs):")).toEqual([
    "hdfc 1001 Alice PIN 1111",
    "hdfc 1002 Dev PIN 1212",
    "icici 2001 Bob PIN 2222",
    "icici 2002 Erin PIN 2323",
    "sbi 3001 Carol PIN 3333",
    "sbi 3002 Frank PIN 3434",
  ]);
  const [registerCarol] = block("to register someone else (carol, whose home holds carol's certificate):");
  expect(registerCarol).toContain(" MINISTRIPE_ACCOUNT_PIN=3333 ");
  expect(registerCarol).toEndWith(" register --username carol --bank sbi --account 3001");
});

test("the printed dashboard commands, pasted with only the port changed (to 0, any free one, read back from the URL they print), serve the logged-in user's page and the operator's with the token they print", async () => {
  const dashboards = block("the dashboard in a browser (each prints its URL with its token, and runs until Ctrl-C):");
  expect(dashboards).toHaveLength(2);
  const expected = [
    { view: "user", says: 'dashboard (user view, client certificate "alice")', state: { view: "user", username: "alice", reachable: true } },
    { view: "admin", says: 'dashboard (admin view, admin certificate "admin")', state: { view: "admin" } },
  ];
  for (const [i, line] of dashboards.entries()) {
    // As pasted in the terminal the try-block's commands ran in (after its cd), with --port 0: the port is the one it prints.
    const dashboard = await startPastedDashboard(line, { cwd: folder, env: freshEnv() });
    let stopped: { exitedOnSigterm: boolean } | undefined;
    try {
      expect(dashboard.printed).toStartWith(`${expected[i]!.says} at http://127.0.0.1:${dashboard.port}/?token=`);
      const state = await getWithToken(dashboard, "/api/state");
      expect(state.status).toBe(200);
      const body = (await state.json()) as { banks?: { name: string }[] };
      expect(body).toMatchObject(expected[i]!.state);
      if (expected[i]!.view === "admin") expect(body.banks!.map((b) => b.name).sort()).toEqual(["hdfc", "icici", "sbi"]);
    } finally {
      stopped = await dashboard.stop();
    }
    // SIGTERM stopped it, before stop() fell back to SIGKILL: every process of the pasted line exited, and nothing listens on its port any more.
    expect(stopped.exitedOnSigterm).toBe(true);
    expect(await fetch(dashboard.origin).then(() => "answered", () => "refused")).toBe("refused");
  }
});

test("a bank that dies is reported and restarted, and serves the next payment", async () => {
  const pids = Bun.spawnSync(["pgrep", "-f", `bank --name icici --port ${port + 2} `]).stdout.toString().trim().split("\n").filter(Boolean);
  expect(pids).toHaveLength(1);
  process.kill(Number(pids[0]), "SIGKILL");
  await readUntil("bank-icici died (killed by SIGKILL); restarting it (1 of 5)\n");
  await readUntil("bank-icici is running again\n");
  const tryThese = block("try, in another terminal:");
  const again = await paste([...tryThese.slice(0, 2), ...tryThese.filter((line) => line.includes(" pay --to bob "))]);
  expect(again.stderr).toBe("");
  expect(again.stdout).toStartWith("paid INR 100.50 to bob: payment ");
});

test("restarts are bounded: a process that keeps dying is left down after 5 restarts, and dev says so", async () => {
  const sbiPort = port + 3;
  const killSbi = () => {
    const pids = Bun.spawnSync(["pgrep", "-f", `bank --name sbi --port ${sbiPort} `]).stdout.toString().trim().split("\n").filter(Boolean);
    expect(pids).toHaveLength(1);
    process.kill(Number(pids[0]), "SIGKILL");
  };
  for (let restart = 1; restart <= 5; restart++) {
    const already = printed.split("bank-sbi is running again\n").length - 1;
    killSbi();
    await readUntil(`bank-sbi died (killed by SIGKILL); restarting it (${restart} of 5)\n`);
    const deadlineAtMs = Date.now() + 60_000;
    while (printed.split("bank-sbi is running again\n").length - 1 === already) {
      if (Date.now() > deadlineAtMs) throw new Error(`bank-sbi was not restarted:\n${printed}`);
      await Bun.sleep(50);
    }
  }
  killSbi();
  await readUntil(`bank-sbi died (killed by SIGKILL); it was restarted 5 times already, so it stays down: see .ministripe/logs/bank-sbi.stderr\n`);
  await Bun.sleep(1_000);
  expect(Bun.spawnSync(["pgrep", "-f", `bank --name sbi --port ${sbiPort} `]).stdout.toString().trim()).toBe("");
});

test("a second dev on the same ports, or in the same folder, says so and leaves the first one's logs alone", async () => {
  const logs = join(folder, ".ministripe", "logs");
  const before = Object.fromEntries(readdirSync(logs).map((name) => [name, readFileSync(join(logs, name), "utf8")]));

  const samePorts = await runMain(["dev", "--port", String(port)], { cwd: elsewhere });
  expect(samePorts.exitCode).toBe(4);
  expect(samePorts.stderr).toBe(`ministripe dev: port ${port} on 127.0.0.1 is already in use: is another "ministripe dev" running? Stop it, or pass --port N for other ports\n`);
  expect(existsSync(join(elsewhere, ".ministripe"))).toBe(false);

  const sameFolder = await runMain(["dev", "--port", String(await freePort())], { cwd: folder });
  expect(sameFolder.exitCode).toBe(2);
  expect(sameFolder.stderr).toBe(`ministripe dev: another "ministripe dev" (pid ${dev.pid}) is running in .ministripe: stop it first, or pass --dir DIR\n`);

  for (const [name, text] of Object.entries(before)) expect(readFileSync(join(logs, name), "utf8").startsWith(text)).toBe(true);
});

test("started again in the same folder, it says its users were registered by an earlier run, their passwords unless changed since", async () => {
  expect(printed).toContain("registered alice (hdfc 1001), password alice-secret\n");
  dev.kill("SIGINT");
  await Promise.race([dev.exited, Bun.sleep(waitMsMax).then(() => dev.kill("SIGKILL"))]);
  printed = "";
  dev = Bun.spawn(["bun", mainPath, "dev", "--port", String(port)], { cwd: folder, env: freshEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of dev.stdout as ReadableStream<Uint8Array>) printed += decoder.decode(chunk, { stream: true });
  })();
  await readUntil("Ctrl-C stops everything.");
  expect(printed).toContain("alice (hdfc 1001) was registered by an earlier run: password alice-secret, unless changed since\n");
  expect(printed).toContain("bob (icici 2001) was registered by an earlier run: password bob-secret, unless changed since\n");
  expect(printed).not.toContain("registered alice");
});
