// Proves a bank or the gateway whose SQLite file is deleted while it runs stops (exit 70, saying why) within a few seconds, rather than acknowledging votes and decisions into a file no restart would open: a bank that went on would load its accounts file afresh at the next start, and the gateway would presume aborted what it had committed.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fatalExitCode } from "../src/lib/fatal";
import { limits } from "../src/lib/limits";
import { startProcessSystem, twoBankAccounts, type ProcessSystem } from "./support/processes";

setDefaultTimeout(60_000);
let system: ProcessSystem;

beforeAll(async () => {
  system = await startProcessSystem({ accountsYaml: twoBankAccounts, banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system?.stop();
});

async function stopsWhenItsFileGoes(processName: string, file: string): Promise<void> {
  const { cluster } = system;
  const child = cluster.processes.get(processName)!;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(system.dir, "data", `${file}${suffix}`), { force: true });
  const exitCode = await Promise.race([child.exited, Bun.sleep(limits.databaseFileCheckMs * 5).then(() => "still running")]);
  expect(exitCode).toBe(fatalExitCode);
  expect(readFileSync(join(cluster.logsDir, `${processName}.stderr`), "utf8")).toContain(`the database file ${join(system.dir, "data", file)} was deleted or replaced while the`);
}

test("a bank whose database file is deleted stops, saying why", async () => {
  await stopsWhenItsFileGoes("bank-hdfc", "bank-hdfc.db");
});

test("the gateway whose database file is deleted stops, saying why", async () => {
  await stopsWhenItsFileGoes("gateway", "gateway.db");
});
