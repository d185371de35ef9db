// `ministripe dev`: the whole system on this machine until Ctrl-C, with two
// users registered so there is someone to pay, and the commands to try
// printed as they can be pasted (this program as it was started, from this
// folder). A process that dies is reported and restarted, a bounded number of times.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayClient } from "../client/gateway-client";
import { AppError, Code } from "../lib/errors";
import { devLimits } from "../lib/limits";
import { silentLogger } from "../lib/log";
import { makePrivateFolder, privateFileMode } from "../lib/private-files";
import { loadCertFolder } from "../rpc/credentials";
import { isValidName } from "../rpc/identity";
import { checkCanListen } from "../rpc/server";
import { startCluster, type ChildExit, type Cluster } from "../local-cluster/cluster";
import { UsageError } from "./support/exit";
import { intFlag, list, str, type Command } from "./support/flags";
import { gatewaysFlag, severalOf } from "./support/cluster-flags";
import { errorText, say } from "./support/output";
import { sampleAccountsYaml, samplePin, samplePinLines } from "../local-cluster/sample-accounts";
import { selfInvocation, shellWord } from "../local-cluster/self";

const devClients = ["alice", "bob", "carol"];

interface DevUser {
  username: string;
  password: string;
  bank: string;
  account: string;
}

/** Registered by dev itself, so the first payment has a payee. */
const devUsers: DevUser[] = [
  { username: "alice", password: "alice-secret", bank: "hdfc", account: "1001" },
  { username: "bob", password: "bob-secret", bank: "icici", account: "2001" },
];
/** Left for the user to register, to show how. */
const exampleUser: DevUser = { username: "carol", password: "carol-secret", bank: "sbi", account: "3001" };

export const devCommand: Command = {
  name: "dev",
  usage: "dev [--dir .ministripe] [--banks hdfc,icici,sbi] [--port 50050] [--gateways 1] [--database URL]",
  summary: "Runs the whole system on this machine (certs, sample accounts, banks, gateway, two users) until Ctrl-C.",
  flags: {
    dir: { type: "string", value: "DIR", help: "where certs, data and logs go", default: ".ministripe" },
    banks: { type: "string", value: "NAMES", help: "bank names", default: "hdfc,icici,sbi" },
    port: { type: "string", help: "the gateway's port; further gateways (--gateways), then banks, take the next ones", default: "50050" },
    gateways: gatewaysFlag,
    database: { type: "string", value: "URL", help: "PostgreSQL shared by the gateways: postgres://USER[:PASSWORD]@HOST:PORT/DB (env MINISTRIPE_DATABASE_URL)" },
  },
  async run(flags) {
    const dir = str(flags, "dir")!;
    const banks = list(flags, "banks");
    if (banks.length === 0 || !banks.every(isValidName)) throw new UsageError("--banks: names of lowercase letters, digits, - and _");
    const port = intFlag(flags, "port", 50050, 1, 65000);
    const several = severalOf(flags);
    // Before anything is written: a second dev must leave the first one's files alone.
    for (let i = 0; i < several.gateways + banks.length; i++) await portFreeForDev(port + i);
    const releaseLock = lockDir(dir);
    try {
      return await runDev(dir, banks, port, several);
    } finally {
      releaseLock();
    }
  },
};

async function runDev(dir: string, banks: string[], port: number, several: { gateways: number; database?: string }): Promise<number> {
  let stopping = false;
  let cluster: Cluster | undefined;
  const restarts = new Map<string, number>();
  const onUnexpectedExit = (name: string, exit: ChildExit) => {
    if (!stopping && cluster) void restartDied(cluster, name, exit, restarts, () => stopping);
  };
  cluster = await startCluster({ dir, banks, clients: devClients, accountsYaml: sampleAccountsYaml, gatewayPort: port, bankPortBase: port + several.gateways, onUnexpectedExit, ...several });
  const users = devUsers.filter((user) => banks.includes(user.bank));
  const registeredBefore = await registerUsers(cluster, users);
  printGuide(dir, banks, cluster, users, registeredBefore);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  stopping = true;
  say("stopping...");
  await cluster.stop();
  say("stopped");
  return 0;
}

async function portFreeForDev(port: number): Promise<void> {
  try {
    await checkCanListen("127.0.0.1", port);
  } catch (error) {
    const appError = error as AppError;
    throw new AppError(appError.code, `${appError.message}: is another "ministripe dev" running? Stop it, or pass --port N for other ports`, appError);
  }
}

/** One dev per folder: a second one would share its databases and logs. Returns the release. */
function lockDir(dir: string): () => void {
  makePrivateFolder(dir);
  const lockPath = join(dir, "dev.pid");
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new AppError(Code.FailedPrecondition, `another "ministripe dev" (pid ${pid}) is running in ${dir}: stop it first, or pass --dir DIR`);
    }
  }
  writeFileSync(lockPath, `${process.pid}\n`, { mode: privateFileMode });
  return () => rmSync(lockPath, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Registers each user with the sample account's PIN; returns those an earlier run registered (their passwords may have changed since). */
async function registerUsers(cluster: Cluster, users: DevUser[]): Promise<Set<string>> {
  const registeredBefore = new Set<string>();
  for (const user of users) {
    const client = new GatewayClient(cluster.gatewayAddress, loadCertFolder(join(cluster.homeOf(user.username), "certs")), silentLogger);
    try {
      await client.call("Register", { username: user.username, password: user.password, bank: user.bank, account: user.account, account_pin: samplePin(user.bank, user.account) }, { retry: true });
    } catch (error) {
      if ((error as AppError).code !== Code.AlreadyExists) throw error;
      registeredBefore.add(user.username);
    } finally {
      client.close();
    }
  }
  return registeredBefore;
}

/** A process died on its own: say so, and start it again with its arguments, up to a bound. */
async function restartDied(cluster: Cluster, name: string, exit: ChildExit, restarts: Map<string, number>, stopping: () => boolean): Promise<void> {
  const count = (restarts.get(name) ?? 0) + 1;
  restarts.set(name, count);
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  const log = join(cluster.logsDir, `${name}.stderr`);
  if (count > devLimits.restartsPerProcessMax) {
    say(`${name} died (${how}); it was restarted ${devLimits.restartsPerProcessMax} times already, so it stays down: see ${log}`);
    return;
  }
  say(`${name} died (${how}); restarting it (${count} of ${devLimits.restartsPerProcessMax})`);
  await Bun.sleep(devLimits.restartDelayMs);
  if (stopping()) return;
  try {
    await cluster.restart(name);
    say(`${name} is running again`);
  } catch (error) {
    say(`${name} could not be restarted: ${errorText(error)} (see ${log})`);
  }
}

function printGuide(dir: string, banks: string[], cluster: Cluster, users: DevUser[], registeredBefore: Set<string>): void {
  const me = selfInvocation();
  const home = (username: string) => shellWord(join(dir, "home", username));
  say(`ministripe is running: ${cluster.gatewayAddresses.length > 1 ? `gateways ${cluster.gatewayAddresses.join(", ")} on PostgreSQL` : `gateway ${cluster.gatewayAddress}`}, banks ${[...cluster.bankAddresses].map(([b, a]) => `${b} ${a}`).join(", ")}`);
  say(`accounts: ${join(dir, "accounts.yaml")}   logs: ${cluster.logsDir}/`);
  say("sample accounts (bank, number, holder, the PIN registering it needs):");
  for (const line of samplePinLines(banks)) say(`  ${line}`);
  for (const user of users) {
    const who = `${user.username} (${user.bank} ${user.account})`;
    say(registeredBefore.has(user.username) ? `${who} was registered by an earlier run: password ${user.password}, unless changed since` : `registered ${who}, password ${user.password}`);
  }
  say("");
  say("try, in another terminal:");
  say(`  cd ${shellWord(process.cwd())}`);
  const [payer, payee] = users;
  if (payer) {
    say(`  export MINISTRIPE_HOME=${home(payer.username)} MINISTRIPE_GATEWAY=${cluster.gatewayAddresses.join(",")}`);
    say(`  MINISTRIPE_PASSWORD=${payer.password} ${me} login --username ${payer.username}`);
    say(`  ${me} balance`);
    if (payee) say(`  ${me} pay --to ${payee.username} --amount 100.50`);
    say(`  ${me} payments`);
  } else {
    say(`  export MINISTRIPE_GATEWAY=${cluster.gatewayAddresses.join(",")}`);
  }
  say(`  ${me} audit --certs ${shellWord(join(cluster.certsDir, "admin"))}`);
  if (banks.includes(exampleUser.bank)) {
    const u = exampleUser;
    say(`to register someone else (${u.username}, whose home holds ${u.username}'s certificate):`);
    say(`  MINISTRIPE_HOME=${home(u.username)} MINISTRIPE_GATEWAY=${cluster.gatewayAddresses.join(",")} MINISTRIPE_PASSWORD=${u.password} MINISTRIPE_ACCOUNT_PIN=${samplePin(u.bank, u.account)} ${me} register --username ${u.username} --bank ${u.bank} --account ${u.account}`);
  }
  printDashboards(me, cluster, users, home);
  say("");
  say("Ctrl-C stops everything.");
}

/** The dashboards run until Ctrl-C: a block of their own, not pasted with the commands above. */
function printDashboards(me: string, cluster: Cluster, users: DevUser[], home: (username: string) => string): void {
  say("the dashboard in a browser (each prints its URL with its token, and runs until Ctrl-C):");
  const [payer] = users;
  if (payer) say(`  MINISTRIPE_HOME=${home(payer.username)} MINISTRIPE_GATEWAY=${cluster.gatewayAddresses.join(",")} ${me} dashboard --port 8080   # ${payer.username}'s page, once logged in (above)`);
  say(`  MINISTRIPE_GATEWAY=${cluster.gatewayAddresses.join(",")} ${me} dashboard --certs ${shellWord(join(cluster.certsDir, "admin"))} --home ${home("admin")} --port 8081   # the operator's page`);
}
