// `ministripe bench-ceiling-server` (internal, not in --help): the raw ceiling
// `bench --ceiling` compares payments with. A grpc-js server with the same
// mutual TLS as the gateway and nothing else: no interceptors, no store, one
// unary method (Health.Check) answering at once. Its own process, as the
// gateway is, so the load generator and the server share the cores as they
// do in a payment run.
import * as grpc from "@grpc/grpc-js";
import { loadCertFolder } from "../rpc/credentials";
import { services } from "../rpc/protos";
import { listen, stopServer } from "../rpc/server";
import type { Handlers } from "../rpc/wire/services";
import { intFlag, str, type Command } from "./support/flags";
import { runUntilSignal } from "./support/serve";
import { silentLogger } from "../lib/log";

export const benchCeilingServerCommand: Command = {
  name: "bench-ceiling-server",
  usage: "bench-ceiling-server --port PORT --certs DIR",
  summary: "Internal to bench --ceiling: a gRPC server answering one empty unary call at once.",
  flags: {
    port: { type: "string", help: "port to listen on (0: any)", default: "0" },
    host: { type: "string", help: "address to listen on", default: "127.0.0.1" },
    certs: { type: "string", help: "the server's certificate folder (the gateway's)", default: "certs/gateway" },
  },
  async run(flags) {
    const certs = loadCertFolder(str(flags, "certs")!);
    const server = new grpc.Server({ "grpc.enable_channelz": 0 });
    server.addService(services.Health.service, {
      Check: (_call, callback) => callback(null, { status: "SERVING" }),
    } satisfies Pick<Handlers<"Health">, "Check">);
    const host = str(flags, "host")!;
    const port = await listen(server, certs, host, intFlag(flags, "port", 0, 0, 65535));
    process.stdout.write(`bench-ceiling-server listening on ${host}:${port}\n`);
    return runUntilSignal(() => stopServer(server), silentLogger);
  },
};
