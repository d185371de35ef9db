// Proves a server closes a connection whose TLS handshake is left half made
// (a peer that sent the start of a hello and nothing more: no certificate
// needed), so many of them cannot hold every file descriptor; they stayed
// open for good before.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { connect } from "node:net";
import { limits } from "../src/lib/limits";
import { startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"] });
});
afterAll(() => system?.stop());

test("the gateway and a bank close a connection whose handshake never finishes", async () => {
  const halfMade = (address: string) => {
    const [host, port] = address.split(":") as [string, string];
    return new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), host, () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01])));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(true));
      // A bound on the wait, not a speed check: well past the server's own.
      setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, limits.tlsHandshakeTimeoutMs * 2);
    });
  };
  const addresses = [system.gatewayAddress, system.bankAddresses.get("hdfc")!];
  const closed = await Promise.all(addresses.map(halfMade));
  expect(closed).toEqual([true, true]);
});
