// Proves the Bun servers speak standard gRPC to an independent client: Node's
// own runtime (not Bun's http2) calls the gateway over mutual TLS, checks
// health, and lists the services through server reflection, as standard
// gRPC tools do. Guards against Bun http2 regressions.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

const script = `
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const fs = require("fs");
const path = require("path");
const [address, certs, root] = process.argv.slice(1);
const read = (f) => fs.readFileSync(path.join(certs, f));
const creds = grpc.credentials.createSsl(read("ca.pem"), read("key.pem"), read("cert.pem"));
const options = { "grpc.ssl_target_name_override": "gateway", "grpc.default_authority": "gateway" };
const health = grpc.loadPackageDefinition(loader.loadSync(path.join(root, "proto/grpc/health/v1/health.proto"), { enums: String })).grpc.health.v1.Health;
const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto");
const reflection = grpc.loadPackageDefinition(loader.loadSync(reflectionProto, { keepCase: true })).grpc.reflection.v1alpha.ServerReflection;
new health(address, creds, options).Check({ service: "" }, (error, reply) => {
  if (error) { console.log(JSON.stringify({ error: error.message })); process.exit(1); }
  const call = new reflection(address, creds, options).ServerReflectionInfo();
  call.on("data", (r) => {
    const services = (r.list_services_response?.service ?? []).map((s) => s.name);
    console.log(JSON.stringify({ node: process.versions.node, health: reply.status, services }));
    call.end();
    process.exit(0);
  });
  call.on("error", (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
  call.write({ list_services: "" });
});
`;

test("a Node gRPC client checks health and lists services by reflection over mutual TLS", async () => {
  const root = join(import.meta.dir, "..");
  const child = Bun.spawn(["node", "-e", script, system.gatewayAddress, join(system.certsDir, "admin"), root], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  const result = JSON.parse(stdout);
  expect(result.node).toMatch(/^\d+\./);
  expect(result.health).toBe("SERVING");
  expect(result.services).toEqual(expect.arrayContaining(["ministripe.v1.Gateway", "ministripe.v1.Admin", "ministripe.v1.Coordinator", "grpc.health.v1.Health"]));
});
