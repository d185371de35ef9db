import { join } from "node:path";
import { isValidName } from "../rpc/identity";
import { startCluster } from "./cluster";
import { UsageError } from "./exit";
import { intFlag, list, str, type Command } from "./flags";
import { say } from "./output";
import { sampleAccountsYaml, samplePinLines } from "./sample-accounts";

export const devClients = ["alice", "bob", "carol"];

export const devCommand: Command = {
  name: "dev",
  usage: "dev [--dir .ministripe] [--banks hdfc,icici,sbi]",
  summary: "Runs the whole system on this machine (certs, sample accounts, banks, gateway) until Ctrl-C.",
  flags: {
    dir: { type: "string", value: "DIR", help: "where certs, data and logs go", default: ".ministripe" },
    banks: { type: "string", value: "NAMES", help: "bank names", default: "hdfc,icici,sbi" },
    port: { type: "string", help: "the gateway's port; banks take the next ones", default: "50050" },
  },
  async run(flags) {
    const dir = str(flags, "dir")!;
    const banks = list(flags, "banks");
    if (banks.length === 0 || !banks.every(isValidName)) throw new UsageError("--banks: names of lowercase letters, digits, - and _");
    const port = intFlag(flags, "port", 50050, 1, 65000);
    const cluster = await startCluster({ dir, banks, clients: devClients, accountsYaml: sampleAccountsYaml, gatewayPort: port, bankPortBase: port + 1 });
    say(`ministripe is running: gateway ${cluster.gatewayAddress}, banks ${[...cluster.bankAddresses].map(([b, a]) => `${b} ${a}`).join(", ")}`);
    say(`accounts: ${join(dir, "accounts.yaml")}   logs: ${cluster.logsDir}/`);
    say("sample accounts (bank, number, holder, the PIN registering it needs):");
    for (const line of samplePinLines(banks)) say(`  ${line}`);
    say("");
    say("try, in another terminal:");
    say(`  export MINISTRIPE_HOME=${join(dir, "home", "alice")} MINISTRIPE_GATEWAY=${cluster.gatewayAddress}`);
    say("  MINISTRIPE_PASSWORD=alice-secret MINISTRIPE_ACCOUNT_PIN=1111 ministripe register --username alice --bank hdfc --account 1001");
    say("  MINISTRIPE_PASSWORD=alice-secret ministripe login --username alice");
    say("  ministripe balance");
    say(`  ministripe audit --certs ${join(cluster.certsDir, "admin")}`);
    say("");
    say("Ctrl-C stops everything.");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    say("stopping...");
    await cluster.stop();
    say("stopped");
    return 0;
  },
};
