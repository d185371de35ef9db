// Proves that processes opening one new database at the same moment (a
// client's shell and its pay on a fresh home) all open it: the schema is
// applied once, under the write lock, and nobody fails on a half-made schema.
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientStore } from "../src/store/client-store";

const openersCount = 6;
const roundsCount = 3;

// Each child says it is ready, waits for the go file, then opens the store and adds one entry.
const opener = `
import { existsSync, writeFileSync } from "node:fs";
import { ClientStore } from ${JSON.stringify(join(import.meta.dir, "..", "src", "store", "client-store"))};
const [path, go, key] = process.argv.slice(2);
writeFileSync(path + "." + key + ".ready", "");
for (const deadlineAtMs = Date.now() + 20_000; !existsSync(go) && Date.now() < deadlineAtMs; ) Bun.sleepSync(1);
const store = new ClientStore(path);
store.add({ idempotencyKey: key, username: "alice", toUsername: "bob", amountMinor: 1n, note: "" }, "test", Date.now(), 1);
store.close();
`;

test("processes opening one new database at once all open it, and the schema is applied once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ministripe-migrate-"));
  try {
    await openTogether(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function openTogether(dir: string): Promise<void> {
  const script = join(dir, "opener.ts");
  await Bun.write(script, opener);
  for (let round = 0; round < roundsCount; round++) {
    const path = join(dir, `outbox-${round}.db`);
    const go = join(dir, `go-${round}`);
    const children = Array.from({ length: openersCount }, (_, i) => Bun.spawn(["bun", script, path, go, `key-${i}`], { stdout: "pipe", stderr: "pipe" }));
    // Released together once every child has started (a slow machine does not make them run one after another).
    for (const deadlineAtMs = Date.now() + 20_000; Date.now() < deadlineAtMs; await Bun.sleep(5)) {
      if (Array.from({ length: openersCount }, (_, i) => existsSync(`${path}.key-${i}.ready`)).every(Boolean)) break;
    }
    writeFileSync(go, "");
    const results = await Promise.all(children.map(async (child) => ({ code: await child.exited, stderr: await new Response(child.stderr).text() })));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const store = new ClientStore(path);
    try {
      expect(store.countQueued("alice")).toBe(openersCount);
    } finally {
      store.close();
    }
  }
}
