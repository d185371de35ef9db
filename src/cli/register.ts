import { clientFlags, withClient } from "./support/client-context";
import { bool, need, type Command } from "./support/flags";
import { printJson, say } from "./support/output";
import { readAccountPin, readPassword } from "./support/password";

export const registerCommand: Command = {
  name: "register",
  usage: "register --username U --bank B --account N [--password-stdin]",
  summary: "Registers a user with their bank account; the bank checks the account's PIN. Password: prompt, --password-stdin or MINISTRIPE_PASSWORD. PIN: prompt or MINISTRIPE_ACCOUNT_PIN.",
  flags: {
    username: { type: "string", help: "the new username" },
    bank: { type: "string", help: "the bank holding the account" },
    account: { type: "string", help: "the account number" },
    "password-stdin": { type: "boolean", help: "read the password from standard input" },
    ...clientFlags,
  },
  async run(flags) {
    const request = { username: need(flags, "username"), bank: need(flags, "bank"), account: need(flags, "account") };
    const password = await readPassword(bool(flags, "password-stdin"));
    const accountPin = await readAccountPin(request.account);
    return withClient(flags, async (ctx) => {
      const user = await ctx.client.call("Register", { username: request.username, password, bank: request.bank, account: request.account, account_pin: accountPin }, { retry: true });
      if (ctx.json) printJson(user);
      else say(`registered ${user.username}: account ${user.account} at ${user.bank} (${user.holder})`);
      return 0;
    });
  },
};
