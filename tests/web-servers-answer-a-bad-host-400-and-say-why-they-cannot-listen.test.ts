// Proves the two web servers (the dashboard and /metrics) answer a request
// whose Host header makes no URL with a plain 400 (not Bun's development
// error page, which shows code and the binary's path), and that a dashboard
// or a --metrics listener that cannot listen says why in the user's words
// with the matching exit: a port in use 4, a host not of this machine 2.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Metrics, serveMetrics, type MetricsServer } from "../src/rpc/metrics";
import { runMain } from "./support/cli";
import { startDashboardProcess, type DashboardProcess } from "./support/dashboard";
import { startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let dashboard: DashboardProcess;
let metrics: MetricsServer;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"] });
  dashboard = await startDashboardProcess(["--certs", join(system.certsDir, "admin"), "--home", mkdtempSync(join(system.dir, "admin-home-")), "--gateway", system.gatewayAddress]);
  metrics = serveMetrics(new Metrics(), "127.0.0.1", 0);
});
afterAll(async () => {
  await dashboard?.stop();
  await metrics?.stop();
  await system?.stop();
});

/** A raw HTTP/1.1 GET with this Host header (fetch would not send one that makes no URL). */
async function getWithHost(port: number, path: string, host: string): Promise<string> {
  let answer = "";
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, chunk) {
        answer += new TextDecoder().decode(chunk);
      },
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  await Promise.race([closed, Bun.sleep(10_000)]);
  socket.end();
  return answer;
}

test("a Host header that makes no URL is a plain 400 on the dashboard and on /metrics", async () => {
  for (const [port, path] of [[dashboard.port, "/"], [metrics.port, "/metrics"]] as const) {
    const answer = await getWithHost(port, path, `127.0.0.1:${port}@evil`);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(answer).toContain("the Host header names no host");
    expect(answer).not.toContain("bunfs");
    expect(answer).not.toContain("<script");
  }
});

test("a dashboard on a port in use is exit 4 saying so; on a host not of this machine exit 2", async () => {
  const certs = ["--certs", join(system.certsDir, "admin"), "--gateway", system.gatewayAddress, "--home", mkdtempSync(join(system.dir, "busy-home-"))];
  const busy = await runMain(["dashboard", "--port", String(dashboard.port), ...certs]);
  expect({ exitCode: busy.exitCode, stderr: busy.stderr }).toEqual({ exitCode: 4, stderr: `ministripe dashboard: port ${dashboard.port} on 127.0.0.1 is already in use\n` });
  const elsewhere = await runMain(["dashboard", "--port", "0", "--host", "10.255.255.254", ...certs]);
  expect({ exitCode: elsewhere.exitCode, stderr: elsewhere.stderr }).toEqual({ exitCode: 2, stderr: "ministripe dashboard: --host: 10.255.255.254 is not an address of this machine\n" });
});

test("--metrics on a port in use says so in the user's words", () => {
  expect(() => serveMetrics(new Metrics(), "127.0.0.1", metrics.port)).toThrow(`--metrics: port ${metrics.port} on 127.0.0.1 is already in use`);
});
