// Argon2id for the secrets people type: passwords (the gateway) and account
// PINs (a bank). Hashed off the event loop (@node-rs/argon2 runs on its own threads).
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";

/** OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1. algorithm 2 is Argon2id (a const enum in the typings, unusable under isolatedModules). */
export const argon2idOptions = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashSecret(secret: string, memoryKiB: number = argon2idOptions.memoryCost): Promise<string> {
  return argonHash(secret, { ...argon2idOptions, memoryCost: memoryKiB });
}

/** False for a wrong secret and for a hash that cannot be read (never throws). */
export function verifySecret(hash: string, secret: string): Promise<boolean> {
  return argonVerify(hash, secret).catch(() => false);
}
