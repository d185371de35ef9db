// The gateway's messages name wire fields ("to_username: ..."); a person
// typed flags (the CLI, the shell) or filled a form whose labels are the same
// words (the dashboard). One table, so every front end says it alike.
import type { AppError } from "../lib/errors";

/** Each wire field as the person knows it. */
const wordsOfWireField: Record<string, string> = {
  to_username: "--to",
  amount_minor: "--amount",
  idempotency_key: "--key",
  note: "--note",
  reason: "--reason",
  payment_id: "the payment id",
  limit: "--limit",
  username: "--username",
  bank: "--bank",
  account: "--account",
  otp: "--otp",
  id_or_key: "the payment id or key",
  password: "the password",
  old_password: "the current password",
  new_password: "the new password",
  account_pin: "the account's PIN",
  before_id: "--before (the payment to list from)",
  query: "the search",
};

/** The error's message with its leading wire field named as the person knows it. */
export function inUsersWords(error: AppError): string {
  const field = /^([a-z_]+): /.exec(error.message);
  return field && Object.hasOwn(wordsOfWireField, field[1]!) ? `${wordsOfWireField[field[1]!]}: ${error.message.slice(field[0].length)}` : error.message;
}
