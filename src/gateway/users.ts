// Users and sessions: registration against the user's bank, Argon2id
// passwords (hashed off the event loop, only at registration, login and a
// password change), opaque bearer tokens stored as SHA-256 hashes, and TOTP.
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import { assert } from "../lib/assert";
import { argon2idOptions } from "../lib/secret-hash";
import * as OTPAuth from "otpauth";
import { sleepMs, type Clock } from "../lib/clock";
import { AppError, Code, invalid, Reason } from "../lib/errors";
import { accountNumberField, bankNameField, passwordField, pinField, usernameField } from "../lib/fields";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import type { GatewayStore, User } from "../store/gateway-store";
import type { BankLink, BankLinks } from "./bank-links";
import { LoginThrottle, throttledNetworkOf, type FailureTable, type LoginAttempt } from "./login-throttle";

const argonOptions = argon2idOptions;
/** A bank's answers that refuse a guess of an account's PIN: a wrong PIN, or the account blocked after them. */
const guessRefused: ReadonlySet<string> = new Set([Code.PermissionDenied, Code.ResourceExhausted]);
const tokenBytes = 32;

export interface UsersOptions {
  store: GatewayStore;
  banks: BankLinks;
  clock: Clock;
  /** The deployment's one currency: an account at a bank keeping another is not registered. */
  currency: string;
  log: Logger;
  sessionTtlMs: number;
  /** Where failed logins are counted: the shared database with several gateways; this process's memory by default. */
  failureTable?: FailureTable;
  /** Tests may lower the Argon2 cost; production never passes this. */
  argonMemoryKiB?: number;
}

export interface AuthenticatedSession {
  username: string;
  tokenHash: string;
}

export class Users {
  private readonly throttle: LoginThrottle;
  private readonly argon;
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly options: UsersOptions) {
    this.throttle = new LoginThrottle(() => options.clock.nowMs(), undefined, options.failureTable);
    this.argon = { ...argonOptions, memoryCost: options.argonMemoryKiB ?? argonOptions.memoryCost };
  }

  /**
   * The bank checks the account's PIN before anything about the account is
   * told (not even that it is registered already): knowing an account number
   * is not enough. The PIN goes to the bank and nowhere else. Checks that
   * fail are counted per address across accounts (LoginThrottle.registration).
   */
  async register(input: { username: string; password: string; bank: string; account: string; accountPin: string }, requestId: string, peerAddress: string): Promise<User & { holder: string }> {
    const username = usernameField(input.username);
    passwordField(input.password);
    const account = accountNumberField(input.account);
    const link = this.options.banks.named(bankNameField(input.bank));
    if (!input.accountPin) throw invalid("PIN", "the account's PIN is needed to register it (from your bank)");
    pinField(input.accountPin, "PIN");
    if (await this.options.store.getUser(username)) throw new AppError(Code.AlreadyExists, `username "${username}" is taken`);
    const verified = await this.checkOwnership(link, account, input.accountPin, requestId, peerAddress);
    if (await this.options.store.userOfAccount(link.name, account)) throw new AppError(Code.AlreadyExists, `account ${account} at ${link.name} is already registered`);
    const nowMs = this.options.clock.nowMs();
    const user: User = {
      username,
      bank: link.name,
      account,
      passwordHash: await argonHash(input.password, this.argon),
      totpSecret: null,
      totpLastStep: null,
      totpPendingSecret: null,
      createdAtMs: nowMs,
      passwordChangedAtMs: nowMs,
    };
    if (!(await this.options.store.insertUser(user))) throw new AppError(Code.AlreadyExists, `username "${username}" or account ${account} at ${link.name} is already registered`);
    this.options.log.info({ event: "user.registered", user: username, bank: link.name }, "registered");
    return { ...user, holder: verified.holder };
  }

  /**
   * The account's PIN proved at its bank, through the address's registration
   * throttle: a wrong PIN, an unknown account or a blocked one stays counted;
   * a proof, or any other answer (the bank away, an account not enabled for
   * online payments), takes the attempt back.
   */
  private async checkOwnership(link: BankLink, account: string, pin: string, requestId: string, peerAddress: string): Promise<{ holder: string }> {
    const attempt = await this.throttle.registration(throttledNetworkOf(peerAddress));
    if (attempt.delayMs > 0) await sleepMs(attempt.delayMs);
    let verified: { exists: boolean; holder: string; currency: string };
    try {
      verified = await link.verifyAccount(account, pin, requestId);
    } catch (error) {
      if (!guessRefused.has((error as AppError).code)) await attempt.succeeded();
      throw error;
    }
    if (!verified.exists) throw new AppError(Code.NotFound, `bank ${link.name} has no account ${account}`);
    await attempt.succeeded();
    if (verified.currency !== this.options.currency) {
      throw new AppError(Code.FailedPrecondition, `bank ${link.name} keeps ${verified.currency}, and this gateway pays in ${this.options.currency}: one currency per deployment (the operator's to fix)`);
    }
    return verified;
  }

  /** `certSha256`: the thumbprint of the client certificate the login came over; the session is bound to it. */
  async login(input: { username: string; password: string; otp: string }, peerAddress: string, certSha256: string): Promise<{ token: string; expiresAtMs: number; username: string }> {
    const username = usernameField(input.username);
    assert(input.password.length <= limits.passwordLengthMax, "the service bounds a password's length");
    const { user, attempt } = await this.checkPassword(username, input.password, peerAddress, "wrong username or password");
    // A missing or wrong one-time code leaves the attempt counted as failed.
    if (user.totpSecret) await this.checkOtp(user, input.otp);
    await attempt.succeeded();
    return { ...(await this.openSession(user, certSha256)), username };
  }

  /** A valid code of the secret in force, used once: a code seen at login cannot be replayed within its window. */
  private async checkOtp(user: User, otp: string): Promise<void> {
    const step = validStep(user.username, user.totpSecret!, otp, this.options.clock.nowMs());
    if (!(await this.options.store.useTotpStep(user.username, step))) throw new AppError(Code.Unauthenticated, "this one-time code was used already; wait for the next one");
  }

  /**
   * The one place a password is checked (login, password change, MFA), always
   * through the throttle: a stolen session must not become a way to guess the
   * password without limit. The attempt counts as failed until the caller
   * says it succeeded.
   */
  private async checkPassword(username: string, password: string, peerAddress: string, wrong: string): Promise<{ user: User; attempt: LoginAttempt }> {
    const attempt = await this.throttle.attempt(username, throttledNetworkOf(peerAddress));
    if (attempt.delayMs > 0) await sleepMs(attempt.delayMs);
    const user = await this.options.store.getUser(username);
    // Verify against a dummy hash for unknown users so timing does not reveal who exists.
    const passwordOk = await argonVerify(user?.passwordHash ?? (await this.dummy()), password).catch(() => false);
    if (!user || !passwordOk) throw new AppError(Code.Unauthenticated, wrong);
    return { user, attempt };
  }

  /** A session for `user` as the login read and checked it: none if its password or MFA changed meanwhile. */
  private async openSession(user: User, certSha256: string): Promise<{ token: string; expiresAtMs: number }> {
    // Asserted, not handled: the peer-role interceptor always sets it for a client certificate.
    assert(/^[0-9a-f]{64}$/.test(certSha256), "a session is bound to a certificate thumbprint");
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(tokenBytes))).toString("base64url");
    const nowMs = this.options.clock.nowMs();
    const expiresAtMs = nowMs + this.options.sessionTtlMs;
    const session = { tokenHash: hashToken(token), username: user.username, createdAtMs: nowMs, expiresAtMs, revokedAtMs: null, certSha256 };
    if (!(await this.options.store.insertSession(session, { passwordHash: user.passwordHash, totpSecret: user.totpSecret }))) {
      throw new AppError(Code.Unauthenticated, "the password or the one-time code setting changed as you logged in; log in again");
    }
    return { token, expiresAtMs };
  }

  /**
   * The session behind a bearer token, presented over a connection with the
   * certificate of thumbprint `certSha256`; cheap (one hash, one indexed read).
   * A token is bound to the certificate it was issued over (RFC 8705): a
   * stolen token is no use without that certificate's key.
   */
  async authenticate(token: string, certSha256: string): Promise<AuthenticatedSession> {
    if (!token || token.length > limits.tokenLengthMax) throw new AppError(Code.Unauthenticated, "missing or malformed bearer token; log in first");
    const tokenHash = hashToken(token);
    const session = await this.options.store.getSession(tokenHash);
    if (!session) throw new AppError(Code.Unauthenticated, "unknown session; log in again");
    if (session.revokedAtMs !== null) throw new AppError(Code.Unauthenticated, "session was ended; log in again");
    if (session.expiresAtMs <= this.options.clock.nowMs()) throw new AppError(Code.Unauthenticated, "session expired; log in again");
    if (!certSha256 || session.certSha256 !== certSha256) throw new AppError(Code.Unauthenticated, "this session was opened with another client certificate; log in with this one", undefined, Reason.OtherCertificate);
    return { username: session.username, tokenHash };
  }

  /** Whether the session behind this token hash is still open: not ended, not expired (a stream opened with it goes on only while it is). */
  async sessionOpen(tokenHash: string): Promise<boolean> {
    const session = await this.options.store.getSession(tokenHash);
    return session !== undefined && session.revokedAtMs === null && session.expiresAtMs > this.options.clock.nowMs();
  }

  logout(tokenHash: string): Promise<void> {
    return this.options.store.revokeSession(tokenHash, this.options.clock.nowMs());
  }

  async changePassword(username: string, oldPassword: string, newPassword: string, peerAddress: string): Promise<number> {
    passwordField(newPassword, "new_password");
    const { attempt } = await this.checkPassword(username, oldPassword, peerAddress, "wrong password");
    await attempt.succeeded();
    const nowMs = this.options.clock.nowMs();
    const passwordHash = await argonHash(newPassword, this.argon);
    return this.options.store.changePassword(username, passwordHash, nowMs);
  }

  /**
   * A new secret for MFA, waiting for its first code (confirmMfa): until
   * then login goes on as before, so a secret mistyped into an app locks no
   * one out. Replacing a secret in force needs a current code as well, or a
   * stolen password and session would remove the second factor.
   */
  async enableMfa(username: string, password: string, otp: string, peerAddress: string): Promise<{ secret: string; uri: string }> {
    const { user, attempt } = await this.checkPassword(username, password, peerAddress, "wrong password");
    // A missing or wrong code leaves the attempt counted as failed, as at login.
    if (user.totpSecret) await this.checkOtp(user, otp);
    await attempt.succeeded();
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    await this.options.store.setTotpPending(username, secret);
    return { secret, uri: totpOf(username, secret).toString() };
  }

  /** The waiting secret comes into force with a code from it (and the password, both counted by the throttle). */
  async confirmMfa(username: string, password: string, otp: string, peerAddress: string): Promise<void> {
    const { user, attempt } = await this.checkPassword(username, password, peerAddress, "wrong password");
    const pending = user.totpPendingSecret;
    if (!pending) {
      // The right password: not a failure to count.
      await attempt.succeeded();
      throw new AppError(Code.FailedPrecondition, "no new second factor is waiting to be confirmed: run mfa enable first");
    }
    const step = validStep(username, pending, otp, this.options.clock.nowMs());
    if (!(await this.options.store.confirmTotp(username, pending, step))) throw new AppError(Code.FailedPrecondition, "the new second factor was replaced meanwhile: confirm the latest one");
    await attempt.succeeded();
  }

  /** Turns MFA off: the password and a current code (each counted by the throttle), as for replacing the secret. */
  async disableMfa(username: string, password: string, otp: string, peerAddress: string): Promise<void> {
    const { user, attempt } = await this.checkPassword(username, password, peerAddress, "wrong password");
    if (!user.totpSecret) {
      // The right password: not a failure to count.
      await attempt.succeeded();
      throw new AppError(Code.FailedPrecondition, "the second factor is not on");
    }
    await this.checkOtp(user, otp);
    await attempt.succeeded();
    await this.options.store.setTotpSecret(username, null);
  }

  async requireUser(username: string): Promise<User> {
    const user = await this.options.store.getUser(username);
    if (!user) throw new AppError(Code.NotFound, `no user "${username}"`);
    return user;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= argonHash("not a password of anyone", this.argon);
    return this.dummyHash;
  }
}

export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}


const totpPeriodS = 30;

function totpOf(username: string, secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: "ministripe", label: username, algorithm: "SHA1", digits: 6, period: totpPeriodS, secret: OTPAuth.Secret.fromBase32(secret) });
}

/** The time step of `otp` if it is a code of `secret` now (one step either side for clock drift). */
function validStep(username: string, secret: string, otp: string, nowMs: number): number {
  if (!otp) throw new AppError(Code.Unauthenticated, "a one-time code is required: pass --otp CODE");
  if (otp.length > limits.otpLengthMax || !/^\d+$/.test(otp)) throw new AppError(Code.Unauthenticated, "wrong one-time code");
  const delta = totpOf(username, secret).validate({ token: otp, window: 1, timestamp: nowMs });
  if (delta === null) throw new AppError(Code.Unauthenticated, "wrong one-time code");
  return Math.floor(nowMs / (totpPeriodS * 1000)) + delta;
}
