// Proves registration needs the account's PIN: a wrong PIN is PERMISSION_DENIED (exit 3) and registers nothing; wrong PINs count per account at the bank, on disk, until even the right PIN is RESOURCE_EXHAUSTED; an account without a PIN is FAILED_PRECONDITION (exit 2); the bank keeps only an Argon2id hash; the gateway keeps no PIN, right or wrong, in its SQLite database and WAL (nor any file the system wrote, nor any log line), nor in any column of any table on PostgreSQL; and a bank whose database was loaded before PINs existed takes the file's PINs at its next start without touching a balance.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { startGateway } from "../src/gateway/gateway";
import { limits } from "../src/lib/limits";
import { silentLogger } from "../src/lib/log";
import { hashSecret } from "../src/lib/secret-hash";
import { loadCertFolder } from "../src/rpc/credentials";
import { cli, type CliUser } from "./support/cli";
import { sharedPostgres } from "./support/postgres";
import { failsWith, memoryLog, signUp, startSystem, tamperBank, type TestSystem } from "./support/system";

// PINs long and unusual enough that finding one in a file or a log can only
// mean it was kept there. The accounts file gives only the right one's hash,
// so neither is on disk unless something wrote it.
const unusualPin = "73051986424";
const unusualWrongPin = "58203917460";
const unusualPinHash = await hashSecret(unusualPin);

const accountsYaml = `currency: INR
banks:
  hdfc:
    accounts:
      - { number: "1001", holder: "Alice", balance: "5000.00", pin: "4321" }
      - { number: "1002", holder: "Dev", balance: "2500.00" }
      - { number: "1003", holder: "Gita", balance: "700.00", pin: "86420" }
  icici:
    accounts:
      - { number: "2001", holder: "Bob", balance: "1200.00", pin: "2222" }
      - { number: "2002", holder: "Hari", balance: "300.00", pin_hash: "${unusualPinHash}" }
`;

// This file sends a dozen failed account checks from one address: past ten, the gateway delays each (LoginThrottle.registration).
setDefaultTimeout(30_000);

const serverLog = memoryLog("test", "servers");
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], accountsYaml, fillPins: false, log: serverLog.log });
}, 30_000);
afterAll(async () => {
  await system.stop();
});

function register(username: string, account: string, accountPin: string) {
  return system.client("client-mallory").call("Register", { username, password: `${username}-password`, bank: "hdfc", account, account_pin: accountPin }, { retry: false });
}

function cliRegister(username: string, account: string, accountPin: string) {
  const user: CliUser = { username, password: `${username}-password`, home: mkdtempSync(join(system.dir, "home-")), certs: join(system.certsDir, "client-mallory"), gateway: system.gatewayAddress, accountPin };
  return cli(user, "register", "--username", username, "--bank", "hdfc", "--account", account);
}

const hdfcPin = (account: string) => system.banks.get("hdfc")!.store.getAccountPin(account)!;

test("the bank keeps only an Argon2id hash of each PIN", () => {
  expect(hdfcPin("1001").pinHash).toStartWith("$argon2id$");
  expect(hdfcPin("1001").pinHash).not.toContain("4321");
  expect(hdfcPin("1002").pinHash).toBeNull();
});

/** hari registers icici's account 2002 through `gateway`: first with a wrong PIN (refused), then with the right one. */
async function registerHari(gateway: string): Promise<void> {
  const client = new GatewayClient(gateway, loadCertFolder(join(system.certsDir, "client-mallory")), silentLogger);
  const hari = (accountPin: string) => client.call("Register", { username: "hari", password: "hari-password", bank: "icici", account: "2002", account_pin: accountPin }, { retry: false });
  try {
    await failsWith(hari(unusualWrongPin), "PERMISSION_DENIED");
    expect((await hari(unusualPin)).holder).toBe("Hari");
  } finally {
    client.close();
  }
}

/** Every file under `folder`, at any depth. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)]));
}

test("the gateway keeps no PIN, right or wrong: not in its SQLite database or WAL, nor in any file the system wrote, nor in a log line", async () => {
  await registerHari(system.gatewayAddress);
  const gatewayFiles = ["gateway.db", "gateway.db-wal"].map((name) => join(system.dir, "data", name));
  for (const path of gatewayFiles) expect(existsSync(path)).toBe(true);
  // The registration is in the bytes read (so the search would see a PIN kept beside it)...
  expect(gatewayFiles.some((path) => readFileSync(path).includes("hari"))).toBe(true);
  expect(serverLog.text()).toContain('"user":"hari"');
  // ...and neither PIN is, in the gateway's files or any other.
  for (const path of filesUnder(system.dir)) {
    const bytes = readFileSync(path);
    for (const pin of [unusualPin, unusualWrongPin]) expect({ path, holdsPin: bytes.includes(pin) }).toEqual({ path, holdsPin: false });
  }
  for (const pin of [unusualPin, unusualWrongPin]) expect(serverLog.text()).not.toContain(pin);
});

test("on PostgreSQL the gateway keeps no PIN, right or wrong, in any column of any of its tables, nor logs one", async () => {
  const url = await (await sharedPostgres()).createDatabase();
  const log = memoryLog("gateway", "gateway-pg");
  const gateway = await startGateway({ host: "127.0.0.1", port: 0, dataDir: join(system.dir, "data"), banks: system.bankAddresses, certs: loadCertFolder(join(system.certsDir, "gateway")), prepareTimeoutMs: 2_000, sessionTtlMs: 3_600_000, inDoubtAfterMs: 10_000, keyRetentionMs: 86_400_000, currency: "INR", log: log.log, database: { url, name: "gateway-pg", takeoverAfterMs: 60_000 } });
  const sql = new SQL(url);
  try {
    await registerHari(`127.0.0.1:${gateway.port}`);
    const tables = ((await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`) as { table_name: string }[]).map((row) => row.table_name);
    expect(tables).toContain("users");
    /** Rows of `table` whose text (every column; bytea as hex) holds `text`. */
    const rowsHolding = async (table: string, text: string) => {
      const [row] = (await sql.unsafe(`SELECT count(*)::int AS n FROM "${table}" AS r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0`, [text, Buffer.from(text).toString("hex")])) as { n: number }[];
      return row!.n;
    };
    expect(await rowsHolding("users", "hari")).toBe(1); // the search sees what the registration wrote
    for (const table of tables) for (const pin of [unusualPin, unusualWrongPin]) expect({ table, rows: await rowsHolding(table, pin) }).toEqual({ table, rows: 0 });
    for (const pin of [unusualPin, unusualWrongPin]) expect(log.text()).not.toContain(pin);
  } finally {
    await sql.close();
    await gateway.stop();
  }
}, 60_000);

test("a wrong PIN is PERMISSION_DENIED, exit 3, and registers nothing; the right one registers", async () => {
  const refused = await cliRegister("mallory", "1001", "1234");
  expect(refused.exitCode).toBe(3);
  expect(refused.stderr).toContain("wrong PIN for account 1001");
  await failsWith(register("mallory", "1001", "9999"), "PERMISSION_DENIED");
  expect(await system.gateway.store.getUser("mallory")).toBeUndefined();
  expect(hdfcPin("1001").pinFailures).toBe(2);

  const registered = await cliRegister("alice", "1001", "4321");
  expect(registered.exitCode).toBe(0);
  expect(registered.stdout).toContain("registered alice: account 1001 at hdfc (Alice)");
  expect(hdfcPin("1001").pinFailures).toBe(0); // the right PIN clears the count
});

test("an account without a PIN cannot be registered: FAILED_PRECONDITION, exit 2", async () => {
  const refused = await cliRegister("dev", "1002", "1234");
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain("this account is not enabled for online payments");
  await failsWith(register("dev", "1002", "0000"), "FAILED_PRECONDITION");
  expect(await system.gateway.store.getUser("dev")).toBeUndefined();
});

test("wrong PINs count per account at the bank, on disk: then even the right PIN is RESOURCE_EXHAUSTED until the block ends", async () => {
  const guesses = Array.from({ length: limits.pinFailuresBeforeBlock }, (_, i) => failsWith(register("mallory", "1003", `1000${i}`), "PERMISSION_DENIED"));
  await Promise.all(guesses); // sent in parallel: each is counted before its PIN is checked
  const blocked = await failsWith(register("gita", "1003", "86420"), "RESOURCE_EXHAUSTED");
  expect(blocked.message).toContain("too many wrong PINs for account 1003");
  expect((await cliRegister("gita", "1003", "86420")).exitCode).toBe(3);
  // Another account at the same bank is not blocked.
  await signUp(system, { username: "bob", bank: "icici", account: "2001", accountPin: "2222" });

  await system.restartBank("hdfc"); // the count is on disk: a restart does not lift the block
  await failsWith(register("gita", "1003", "86420"), "RESOURCE_EXHAUSTED");

  tamperBank(system, "hdfc", "UPDATE accounts SET pin_blocked_until_ms = 1 WHERE number = '1003'"); // the block's time has passed
  await failsWith(register("mallory", "1003", "11111"), "PERMISSION_DENIED"); // one more wrong PIN is checked, and blocks it again at once
  await failsWith(register("gita", "1003", "86420"), "RESOURCE_EXHAUSTED");
  tamperBank(system, "hdfc", "UPDATE accounts SET pin_blocked_until_ms = 1 WHERE number = '1003'");
  await signUp(system, { username: "gita", bank: "hdfc", account: "1003", accountPin: "86420" });
  expect(hdfcPin("1003")).toMatchObject({ pinFailures: 0, pinUnblockedAtMs: 0 });
});

test("a bank whose database was loaded before PINs existed takes the file's PINs at its next start, never touching a balance", async () => {
  const store = () => system.banks.get("hdfc")!.store;
  const balances = () => store().listAccounts().map((a) => [a.number, a.balanceMinor, a.heldMinor]);
  // Make hdfc's database and file what a bank of the version before PINs had: no PIN columns, no such migration, no PINs.
  await system.banks.get("hdfc")!.stop();
  writeFileSync(system.accountsPath, accountsYaml.replace(/, pin: "\d+"/g, ""));
  for (const column of ["pin_hash", "pin_failures", "pin_blocked_until_ms"]) tamperBank(system, "hdfc", `ALTER TABLE accounts DROP COLUMN ${column}`);
  tamperBank(system, "hdfc", "DELETE FROM schema_migrations WHERE id = 'bank/0002_account_pins'");
  await system.restartBank("hdfc");
  const before = balances();
  expect(store().listAccountsWithoutPin()).toEqual(["1001", "1002", "1003"]);

  // The operator adds PINs to the file (and a balance that must not be taken, and an account that must not be added).
  writeFileSync(
    system.accountsPath,
    accountsYaml.replace('balance: "2500.00" }', 'balance: "2500.00", pin: "5555" }').replace('balance: "5000.00"', 'balance: "999999.00"') + '      - { number: "1099", holder: "New", balance: "1.00", pin: "7777" }\n',
  );
  await system.restartBank("hdfc");
  expect(balances()).toEqual(before);
  expect(store().getAccount("1099")).toBeUndefined();
  expect(store().listAccountsWithoutPin()).toEqual([]);
  await signUp(system, { username: "dev", bank: "hdfc", account: "1002", accountPin: "5555" });
  await failsWith(register("mallory", "1001", "1111"), "PERMISSION_DENIED"); // 1001 took the file's PIN too
});
