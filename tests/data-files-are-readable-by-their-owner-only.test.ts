// Proves that what ministripe writes stays with the user who runs it: data
// folders are created 0700; gateway.db, the banks' databases, their WAL and
// SHM files, log files and the client's outbox 0600; and a server started on
// an existing data folder that others can read says so in one warning line,
// as does a client command run with a home others can read.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { startBank } from "../src/bank/bank";
import { ClientHome } from "../src/client/home";
import { createLogger } from "../src/lib/log";
import { loadCertFolder } from "../src/rpc/credentials";
import { ClientStore } from "../src/store/client-store";
import { cli, cliUser } from "./support/cli";
import { memoryLog, pay, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

let system: TestSystem;
const systemLog = memoryLog("test", "system");
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], log: systemLog.log });
});
afterAll(async () => {
  await system.stop();
});

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, "0");
}

test("the data folder is 0700 and every database, WAL and SHM file in it 0600", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
  const data = join(system.dir, "data");
  expect(modeOf(data)).toBe("0700");
  const files = readdirSync(data).sort();
  for (const name of ["gateway.db", "bank-hdfc.db", "bank-icici.db"]) for (const suffix of ["", "-wal", "-shm"]) expect(files).toContain(name + suffix);
  expect(Object.fromEntries(files.map((name) => [name, modeOf(join(data, name))]))).toEqual(Object.fromEntries(files.map((name) => [name, "0600"])));
  // A private folder is no cause for a warning.
  expect(systemLog.text()).not.toContain("data.folder_open");
}, 30_000);

test("a log file and the folder made for it, the client home and its outbox are the owner's only", () => {
  const logPath = join(system.dir, "new-logs", "gateway.log");
  createLogger({ role: "gateway", name: "gateway", file: logPath }).info("hello");
  expect(modeOf(join(system.dir, "new-logs"))).toBe("0700");
  expect(modeOf(logPath)).toBe("0600");

  const home = new ClientHome(join(system.dir, "users", "alice", ".ministripe"));
  const outbox = new ClientStore(home.outboxPath);
  try {
    outbox.add({ idempotencyKey: "k1", username: "alice", toUsername: "bob", amountMinor: 1n, note: "" }, "test", Date.now(), 1);
    expect(modeOf(home.dir)).toBe("0700");
    for (const suffix of ["", "-wal", "-shm"]) expect(modeOf(home.outboxPath + suffix)).toBe("0600");
  } finally {
    outbox.close();
  }
});

test("a bank started on an existing data folder others can read warns in one line", async () => {
  const openData = join(system.dir, "open-data");
  mkdirSync(openData);
  chmodSync(openData, 0o755);
  const bankLog = memoryLog("bank", "hdfc");
  const bank = await startBank({ name: "hdfc", host: "127.0.0.1", port: 0, dataDir: openData, accountsFile: system.accountsPath, certs: loadCertFolder(join(system.certsDir, "bank-hdfc")), inDoubtAfterMs: 10_000, log: bankLog.log });
  await bank.stop();
  const warnings = bankLog.lines().filter((line) => line.event === "data.folder_open");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: "warn", msg: `data folder ${openData} can be read by other users (mode 0755); run: chmod 700 ${openData}` });
  // The folder is the owner's to change; its new database is private all the same.
  expect(modeOf(openData)).toBe("0755");
  expect(modeOf(join(openData, "bank-hdfc.db"))).toBe("0600");
}, 30_000);

test("a client command run with a home whose session others can read warns in one line on stderr, and still works; a home open to others with its files private does not", async () => {
  const carol = await cliUser(system, { username: "carol", bank: "hdfc", account: "1002" });
  expect((await cli(carol, "balance")).stderr).toBe("");
  // A home made by a plain mkdir: the files ministripe wrote in it are its user's only.
  chmodSync(carol.home, 0o755);
  expect((await cli(carol, "balance")).stderr).toBe("");
  const session = join(carol.home, "session.json");
  chmodSync(session, 0o644);
  const balance = await cli(carol, "balance");
  expect(balance.exitCode).toBe(0);
  expect(balance.stderr).toBe(`client home ${carol.home} lets other users read ${session} (mode 0644); run: chmod 700 ${carol.home}\n`);
  chmodSync(session, 0o600);
  // Writable by others, whatever its files' modes: they could delete the queue or put another CA there.
  chmodSync(carol.home, 0o775);
  expect((await cli(carol, "balance")).stderr).toBe(`client home ${carol.home} can be changed by other users (mode 0775); run: chmod 700 ${carol.home}\n`);
}, 30_000);
