// Proves `ministripe demo --database URL` runs the tour on two gateways sharing PostgreSQL, shows one dying after its decision and the other giving the payment's first outcome and finishing it, and ends with a clean audit; run again on the same database it stops at once with exit 2 saying to give it an empty one.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mainPath } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(180_000);

async function demo(database: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(["bun", mainPath, "demo"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, MINISTRIPE_DATABASE_URL: database } });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

test("the tour on two gateways: one dies after its decision, the other gives its outcome and finishes it; a used database is refused", async () => {
  const database = await (await sharedPostgres()).createDatabase();
  const tour = await demo(database);
  if (tour.exitCode !== 0) console.error(tour.stdout, tour.stderr);
  expect(tour.exitCode).toBe(0);
  expect(tour.stdout).toContain("two gateways sharing PostgreSQL");
  expect(tour.stdout).toMatch(/gateway-1 died after writing its decision, before telling the banks/);
  expect(tour.stdout).toMatch(/the same key sent to gateway-2 \(.*\) after [\d.]+ s: .*SUCCEEDED.*: the first outcome, read from the shared database/);
  expect(tour.stdout).toContain("audit clean: every invariant holds");
  expect(tour.stdout).toContain("Tour complete.");

  const again = await demo(database);
  expect(again.exitCode).toBe(2);
  expect(again.stderr.trim().split("\n")).toHaveLength(1);
  expect(again.stderr).toContain("the database holds the demo's users from an earlier run; give --database an empty one");
});
