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

test("the dashboard answers HEAD as a GET without a body, names the methods it allows, and stops reading a chunked form at its bound", async () => {
  const first = await fetch(dashboard.url, { redirect: "manual" });
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  const head = await fetch(`${dashboard.origin}/`, { method: "HEAD", headers: { cookie } });
  expect(head.status).toBe(200);
  expect(head.headers.get("content-security-policy")).toContain("default-src 'none'");
  const put = await fetch(`${dashboard.origin}/`, { method: "PUT", headers: { cookie } });
  expect({ status: put.status, allow: put.headers.get("allow") }).toEqual({ status: 405, allow: "GET, HEAD, POST" });

  const page = await (await fetch(`${dashboard.origin}/`, { headers: { cookie } })).text();
  const pageToken = /<meta name="page-token" content="(\w+)">/.exec(page)![1]!;
  // A body with no length given (chunked), far past the bound: refused, not read whole.
  const chunk = new TextEncoder().encode(`{"x":"${"y".repeat(64 * 1024)}`);
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 256) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const posted = await fetch(`${dashboard.origin}/api/audit`, { method: "POST", headers: { cookie, "x-page-token": pageToken, "content-type": "application/json" }, body: endless });
  expect({ status: posted.status, body: await posted.json() }).toEqual({ status: 400, body: { error: "the form is too large" } });
  expect(sent).toBeLessThan(256);
});
