// argv -> command; nothing else. Errors are caught once, here.
import { auditCommand } from "./cli/audit";
import { balanceCommand } from "./cli/balance";
import { bankCommand } from "./cli/bank";
import { benchCommand } from "./cli/bench";
import { certsCommand } from "./cli/certs";
import { demoCommand } from "./cli/demo";
import { devCommand } from "./cli/dev";
import { exitCodeOf, Exit } from "./cli/exit";
import { helpText, parseFlags, type Command } from "./cli/flags";
import { gatewayCommand } from "./cli/gateway";
import { loginCommand } from "./cli/login";
import { logoutCommand } from "./cli/logout";
import { mfaCommand } from "./cli/mfa";
import { passwdCommand } from "./cli/passwd";
import { payCommand } from "./cli/pay";
import { paymentCommand } from "./cli/payment";
import { paymentsCommand } from "./cli/payments";
import { queueCommand } from "./cli/queue";
import { registerCommand } from "./cli/register";
import { shellCommand } from "./cli/shell";
import { syncCommand } from "./cli/sync";
import { version } from "./cli/version";
import { toAppError } from "./lib/errors";

const commands: Command[] = [
  certsCommand,
  bankCommand,
  gatewayCommand,
  devCommand,
  demoCommand,
  auditCommand,
  benchCommand,
  registerCommand,
  loginCommand,
  logoutCommand,
  passwdCommand,
  mfaCommand,
  balanceCommand,
  payCommand,
  paymentsCommand,
  paymentCommand,
  queueCommand,
  syncCommand,
  shellCommand,
];

function usage(): string {
  const lines = [`ministripe ${version}: a miniature payment gateway`, "", "usage: ministripe COMMAND [flags]   (ministripe COMMAND --help for its flags)", ""];
  for (const command of commands) lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "version") {
    process.stdout.write(`ministripe ${version}\n`);
    return Exit.ok;
  }
  if (name === undefined || name === "--help" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? Exit.usage : Exit.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`ministripe: unknown command "${name}" (see ministripe --help)\n`);
    return Exit.usage;
  }
  try {
    const parsed = parseFlags(command, rest);
    if (parsed.help) {
      process.stdout.write(`${helpText(command)}\n`);
      return Exit.ok;
    }
    return await command.run(parsed.flags, parsed.positionals);
  } catch (error) {
    const appError = toAppError(error);
    process.stderr.write(`ministripe ${name}: ${appError.message}\n`);
    if (process.env.MINISTRIPE_DEBUG && appError.cause) console.error(appError.cause);
    return exitCodeOf(appError);
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
