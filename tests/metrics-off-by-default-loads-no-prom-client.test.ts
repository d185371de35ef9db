// Proves metrics are off by default down to the modules: loading the bank, the gateway and every CLI command (what a server started without --metrics loads) does not load prom-client; loading the metrics module, as --metrics does, does.
import { expect, test } from "bun:test";
import { join } from "node:path";

const src = join(import.meta.dir, "..", "src");

/** Runs `imports` in a fresh bun and answers which loaded modules are prom-client's. */
async function promClientLoadedBy(imports: string[]): Promise<string[]> {
  const script = [...imports.map((path) => `await import(${JSON.stringify(path)});`), `console.log(JSON.stringify(Object.keys(require.cache).filter((p) => p.includes("/node_modules/prom-client/"))));`].join("\n");
  const child = Bun.spawn(["bun", "-e", script], { cwd: join(src, ".."), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  return JSON.parse(stdout) as string[];
}

test("the bank, the gateway and every command load without prom-client; the metrics module loads it", async () => {
  const commands = [...new Bun.Glob("*.ts").scanSync(join(src, "cli"))].map((file) => join(src, "cli", file));
  expect(commands).toContain(join(src, "cli", "gateway.ts"));
  const servers = [join(src, "bank", "bank.ts"), join(src, "gateway", "gateway.ts"), join(src, "gateway", "metrics.ts"), ...commands];
  expect(await promClientLoadedBy(servers)).toEqual([]);
  // The check sees prom-client when it is there: what --metrics loads.
  expect((await promClientLoadedBy([...servers, join(src, "rpc", "metrics.ts")])).length).toBeGreaterThan(0);
});
