// Proves a server process runs with the JSC heap option that keeps its memory
// in bounds (src/local-cluster/server-runtime.ts), even when started without it: it
// restarts itself with the option as the same process (same pid).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleAccountsYaml } from "../src/local-cluster/sample-accounts";
import { selfCommand } from "../src/local-cluster/self";
import { serverRuntimeEnv } from "../src/local-cluster/server-runtime";
import { initCertificates } from "../src/rpc/certificates";

const dir = mkdtempSync(join(tmpdir(), "ministripe-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a bank started without the heap option runs with it, in the process that was started", async () => {
  await initCertificates({ dir: join(dir, "certs"), hosts: ["localhost", "127.0.0.1"], banks: ["hdfc"], clients: [] });
  writeFileSync(join(dir, "accounts.yaml"), sampleAccountsYaml);
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const name of Object.keys(serverRuntimeEnv)) delete env[name];
  const args = ["bank", "--name", "hdfc", "--port", "0", "--data", join(dir, "data"), "--accounts", join(dir, "accounts.yaml"), "--certs", join(dir, "certs", "bank-hdfc"), "--gateway", "127.0.0.1:1"];
  const bank = Bun.spawn([...selfCommand(), ...args], { env, stdout: "pipe", stderr: "ignore", stdin: "ignore" });
  try {
    const reader = (bank.stdout as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("listening on")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      seen += new TextDecoder().decode(chunk.value);
    }
    expect(seen).toContain("listening on");
    const environment = readFileSync(`/proc/${bank.pid}/environ`, "utf8").split("\0");
    for (const [name, value] of Object.entries(serverRuntimeEnv)) expect(environment).toContain(`${name}=${value}`);
  } finally {
    bank.kill();
    await bank.exited;
  }
}, 30_000);
