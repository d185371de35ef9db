// Proves that a field renamed in a .proto fails `bun run typecheck` on a clean
// checkout (no generated types yet): at the handler that answers it and at
// the callers that send or read it, naming the old field.
import { afterAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "ministripe-wire-"));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** What a clean clone holds of the sources and the protos: the files git tracks or would track, not the ignored generated ones. */
function cleanCopy(): void {
  const listed = Bun.spawnSync(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "src", "proto", "types", "package.json", "tsconfig.json"], { cwd: root, stdout: "pipe" });
  expect(listed.exitCode).toBe(0);
  for (const path of listed.stdout.toString().split("\n").filter(Boolean)) {
    if (!existsSync(join(root, path))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(work, path)), { recursive: true });
    cpSync(join(root, path), join(work, path));
  }
  symlinkSync(join(root, "node_modules"), join(work, "node_modules"));
}

function rename(protoPath: string, from: string, to: string): void {
  const path = join(work, protoPath);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

test("a field renamed in a .proto fails the type check where it is answered, sent and read", () => {
  cleanCopy();
  expect(existsSync(join(work, "src/rpc/wire/generated"))).toBe(false);
  // A request field (Pay's payee) and a reply field (the balance the gateway answers).
  rename("proto/ministripe/v1/gateway.proto", "string to_username = 2;", "string payee_username = 2;");
  rename("proto/ministripe/v1/gateway.proto", "int64 balance_minor = 3;", "int64 ledger_balance_minor = 3;");
  const typecheck = Bun.spawnSync(["bun", "run", "typecheck"], { cwd: work, stdout: "pipe", stderr: "pipe" });
  const output = typecheck.stdout.toString() + typecheck.stderr.toString();
  expect(typecheck.exitCode).not.toBe(0);
  // The gateway's Pay handler reads the old name; the client's outbox sends it.
  expect(output).toMatch(/src\/gateway\/service\.ts\(\d+,\d+\): error TS\d+: Property 'to_username' does not exist/);
  expect(output).toMatch(/src\/client\/outbox\.ts\(\d+,\d+\): error TS\d+: Object literal may only specify known properties, and 'to_username' does not exist/);
  // The GetBalance handler answers without the new name; the CLI reads the old one.
  expect(output).toMatch(/src\/gateway\/service\.ts\(\d+,\d+\): error TS\d+:[^]*'+ledger_balance_minor'+ is missing/);
  expect(output).toMatch(/src\/cli\/balance\.ts\(\d+,\d+\): error TS\d+: Property 'balance_minor' does not exist/);
}, 180_000);
