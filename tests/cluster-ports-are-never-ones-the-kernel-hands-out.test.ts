// Proves the ports chosen for a cluster's servers (and the tests' gateway) lie
// below the kernel's ephemeral range: between the choice and the child's bind,
// no outgoing connection or port-0 listener can be given the same port (a
// clash there ended a test run with EADDRINUSE).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { freePort } from "../src/local-cluster/cluster";

test("chosen ports are free, never handed out twice, and below the ephemeral range", async () => {
  const ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  // A cluster's gateway port is chosen before its banks bind theirs: none may get it too.
  expect(new Set(ports).size).toBe(ports.length);
  for (const port of ports) {
    expect(port).toBeLessThan(ephemeralLow);
    expect(port).toBeGreaterThanOrEqual(10_000);
  }
  // Free: each one can be listened on.
  for (const port of ports) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => server.close(resolve));
  }
});
