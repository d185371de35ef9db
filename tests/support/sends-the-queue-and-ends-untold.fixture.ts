// Not a test of its own: a client process that sends a home's queue and ends
// without telling any outcome, as one killed between finishing and printing
// would. Run as `bun THIS HOME CERTS GATEWAY USERNAME`; prints the outcomes' kinds as JSON.
import pino from "pino";
import { GatewayClient } from "../../src/client/gateway-client";
import { ClientHome } from "../../src/client/home";
import { Outbox } from "../../src/client/outbox";
import { loadCertFolder } from "../../src/rpc/credentials";
import { ClientStore } from "../../src/store/client-store";

const [homeDir, certsDir, gateway, username] = process.argv.slice(2) as [string, string, string, string];
const home = new ClientHome(homeDir);
const client = new GatewayClient(gateway, loadCertFolder(certsDir), pino({ level: "silent" }));
client.token = home.loadSession()!.token;
const store = new ClientStore(home.outboxPath);
const outcomes = await new Outbox(store, client).sync(username, 5_000, true);
process.stdout.write(`${JSON.stringify(outcomes.map((o) => o.kind))}\n`);
store.close();
client.close();
process.exit(0);
