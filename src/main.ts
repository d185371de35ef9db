// argv -> command; nothing else. Errors are caught once, here.
// First: @peculiar/x509 (loaded by the commands that make certificates) needs
// the Reflect polyfill in place before it loads, and the bundle keeps this order.
import "reflect-metadata";
import { exitCodeOf, Exit } from "./cli/support/exit";
import { helpText, nearestName, parseFlags, type Command } from "./cli/support/flags";
import { restartAsServerIfNeeded } from "./local-cluster/server-runtime";
import { version } from "./cli/support/version";
import { assert } from "./lib/assert";
import { fromSystemError, printable, quoted, toAppError } from "./lib/errors";
import { errorText, writeErr, writeOut } from "./cli/support/output";

// Loaded on demand: a bank need not load what the client, the certificate
// maker or the bench use (a server's memory is mostly the modules it loads).
const commands: Record<string, () => Promise<Command>> = {
  certs: () => import("./cli/certs").then((m) => m.certsCommand),
  bank: () => import("./cli/bank").then((m) => m.bankCommand),
  gateway: () => import("./cli/gateway").then((m) => m.gatewayCommand),
  dev: () => import("./cli/dev").then((m) => m.devCommand),
  demo: () => import("./cli/demo").then((m) => m.demoCommand),
  audit: () => import("./cli/audit").then((m) => m.auditCommand),
  bench: () => import("./cli/bench").then((m) => m.benchCommand),
  register: () => import("./cli/register").then((m) => m.registerCommand),
  login: () => import("./cli/login").then((m) => m.loginCommand),
  logout: () => import("./cli/logout").then((m) => m.logoutCommand),
  passwd: () => import("./cli/passwd").then((m) => m.passwdCommand),
  mfa: () => import("./cli/mfa").then((m) => m.mfaCommand),
  balance: () => import("./cli/balance").then((m) => m.balanceCommand),
  pay: () => import("./cli/pay").then((m) => m.payCommand),
  refund: () => import("./cli/refund").then((m) => m.refundCommand),
  payments: () => import("./cli/payments").then((m) => m.paymentsCommand),
  payment: () => import("./cli/payment").then((m) => m.paymentCommand),
  queue: () => import("./cli/queue").then((m) => m.queueCommand),
  sync: () => import("./cli/sync").then((m) => m.syncCommand),
  shell: () => import("./cli/shell").then((m) => m.shellCommand),
  dashboard: () => import("./cli/dashboard").then((m) => m.dashboardCommand),
};

// Started by other commands only, so not listed in --help.
const internalCommands: Record<string, () => Promise<Command>> = {
  "bench-ceiling-server": () => import("./cli/bench-ceiling-server").then((m) => m.benchCeilingServerCommand),
};

async function loadCommand(name: string): Promise<Command | undefined> {
  const load = Object.hasOwn(commands, name) ? commands[name] : Object.hasOwn(internalCommands, name) ? internalCommands[name] : undefined;
  if (!load) return undefined;
  const command = await load();
  assert(command.name === name, "a command is registered under its own name");
  return command;
}

async function usage(): Promise<string> {
  const lines = [`ministripe ${version}: a miniature payment gateway`, "", "usage: ministripe COMMAND [flags]   (ministripe COMMAND --help for its flags)", ""];
  for (const name of Object.keys(commands)) lines.push(`  ${name.padEnd(10)} ${(await loadCommand(name))!.summary}`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "version") {
    writeOut(`ministripe ${version}\n`);
    return Exit.ok;
  }
  if (name === "help" && rest.length === 1 && (await loadCommand(rest[0]!))) {
    writeOut(`${helpText((await loadCommand(rest[0]!))!)}\n`);
    return Exit.ok;
  }
  if (name === undefined || name === "--help" || name === "help") {
    writeOut(`${await usage()}\n`);
    return name === undefined ? Exit.usage : Exit.ok;
  }
  const command = await loadCommand(name);
  if (!command) {
    const near = nearestName(name, Object.keys(commands));
    writeErr(`ministripe: unknown command ${quoted(name, 40)}${near ? `; did you mean ${near}?` : ""} (see ministripe --help)\n`);
    return Exit.usage;
  }
  let json = rest.includes("--json");
  try {
    const parsed = parseFlags(command, rest);
    json = parsed.flags.json === true;
    if (parsed.help) {
      writeOut(`${helpText(command)}\n`);
      return Exit.ok;
    }
    return await command.run(parsed.flags, parsed.positionals);
  } catch (error) {
    const appError = fromSystemError(error) ?? toAppError(error);
    const message = printable(errorText(appError));
    const code = exitCodeOf(appError);
    writeErr(`ministripe ${name}: ${message}\n`);
    // With --json a script reads one JSON object on stdout, a failure's too; a person reads the line above.
    if (json) writeOut(`${JSON.stringify({ error: { code: appError.code, message, exit_code: code } })}\n`);
    if (process.env.MINISTRIPE_DEBUG && appError.cause) console.error(appError.cause);
    return code;
  }
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  restartAsServerIfNeeded(argv);
  const code = await main(argv);
  process.exit(code);
}
