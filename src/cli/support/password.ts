// A password from MINISTRIPE_PASSWORD, from stdin (--password-stdin), or
// typed at a prompt with echo off. Never from a flag: flags show in `ps`.
import { UsageError } from "./exit";

export async function readPassword(passwordStdin: boolean, prompt = "password: ", envName = "MINISTRIPE_PASSWORD"): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (!passwordStdin && !process.stdin.isTTY) throw new UsageError(`no password: set ${envName}, pass --password-stdin, or run in a terminal`);
  const password = passwordStdin ? await readStdinLine() : await promptHidden(prompt);
  // Empty is a slip (an empty pipe, Enter pressed), not a wrong password to count against the account.
  if (password === "") throw new UsageError(passwordStdin ? "no password: standard input was empty" : "no password: nothing was typed");
  return password;
}

/** An account's PIN from MINISTRIPE_ACCOUNT_PIN, or typed at a prompt with echo off. */
export async function readAccountPin(account: string): Promise<string> {
  const fromEnv = process.env.MINISTRIPE_ACCOUNT_PIN;
  if (fromEnv) return fromEnv.trim();
  if (!process.stdin.isTTY) throw new UsageError("no PIN for the account: set MINISTRIPE_ACCOUNT_PIN, or run in a terminal");
  return (await promptHidden(`PIN of account ${account}: `)).trim();
}

/**
 * Standard input's lines in order, from one reader kept open between calls:
 * passwd reads two (the current password, then the new one), and leaving a
 * `for await` over stdin after the first would end the stream and lose the
 * second. A line's "\r" (a file written on Windows) is not part of it.
 */
let stdinLines: AsyncGenerator<string> | undefined;

async function* linesOfStdin(): AsyncGenerator<string> {
  let buffered = "";
  // One decoder for the whole stream: a character split across two chunks is whole again.
  const decoder = new TextDecoder();
  for await (const chunk of process.stdin) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      yield buffered.slice(0, end).replace(/\r$/, "");
      buffered = buffered.slice(end + 1);
    }
    if (buffered.length > stdinLineLengthMax) throw new UsageError(`standard input: a line longer than ${stdinLineLengthMax} characters is not a password`);
  }
  if (buffered !== "") yield buffered.replace(/\r$/, "");
}

const stdinLineLengthMax = 4096;

async function readStdinLine(): Promise<string> {
  stdinLines ??= linesOfStdin();
  const next = await stdinLines.next();
  return next.done ? "" : next.value;
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = "";
    const onData = (data: Buffer) => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (char === "\u0003") process.exit(130);
        typed = char === "\u007f" ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on("data", onData);
  });
}
