// Proves `dev --gateways 2 --database URL` keeps to its --port as its help says: the gateways on --port and the next one, the banks on the ports after them (the second gateway took a random port before), both gateways serve a login, and each logs under its own --name.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/local-cluster/cluster";
import { mainPath, runMain, waitMsMax } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(180_000);

test("two gateways on --port and --port+1, the banks after them; each gateway answers", async () => {
  const folder = mkdtempSync(join(tmpdir(), "ministripe-dev-two-"));
  const database = await (await sharedPostgres()).createDatabase();
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env as Record<string, string>).filter(([name]) => !name.startsWith("MINISTRIPE_")));
  const dev = Bun.spawn(["bun", mainPath, "dev", "--port", String(port), "--gateways", "2", "--database", database], { cwd: folder, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let printed = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of dev.stdout as ReadableStream<Uint8Array>) printed += decoder.decode(chunk, { stream: true });
  })();
  try {
    const deadlineAtMs = Date.now() + 120_000;
    while (!printed.includes("Ctrl-C stops everything.") && dev.exitCode === null && Date.now() < deadlineAtMs) await Bun.sleep(50);
    const at = (offset: number) => `127.0.0.1:${port + offset}`;
    expect(printed).toContain(`ministripe is running: gateways ${at(0)}, ${at(1)} on PostgreSQL, banks hdfc ${at(2)}, icici ${at(3)}, sbi ${at(4)}\n`);
    // dev registered alice; each gateway logs her in.
    const certs = join(folder, ".ministripe", "certs", "client-alice");
    for (const gateway of [at(0), at(1)]) {
      const login = await runMain(["login", "--username", "alice", "--gateway", gateway, "--certs", certs, "--home", join(folder, `home-${gateway}`)], { env: { MINISTRIPE_PASSWORD: "alice-secret" } });
      expect({ gateway, login: login.stdout.split(" until")[0], exitCode: login.exitCode }).toEqual({ gateway, login: "logged in as alice", exitCode: 0 });
    }
    // Each gateway's log lines carry its own --name (g1, g2), so an operator can tell them apart; one "name" key per line.
    for (const [file, name] of [["gateway-1.log", "g1"], ["gateway-2.log", "g2"]] as const) {
      const text = readFileSync(join(folder, ".ministripe", "logs", file), "utf8");
      const started = text.split("\n").find((line) => line.includes('"gateway.database"'))!;
      expect(started.match(/"name":/g)?.length).toBe(1);
      expect(JSON.parse(started)).toMatchObject({ name, gateway: name });
    }
  } finally {
    dev.kill("SIGINT");
    await Promise.race([dev.exited, Bun.sleep(waitMsMax).then(() => dev.kill("SIGKILL"))]);
    rmSync(folder, { recursive: true, force: true });
  }
});
