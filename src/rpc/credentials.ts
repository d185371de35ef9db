// Loads one identity's certificate folder into mutual-TLS credentials.
import * as grpc from "@grpc/grpc-js";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, Code } from "../lib/errors";
import { assert } from "../lib/assert";
import { limits } from "../lib/limits";
import { identityFromSubject, type Identity } from "./identity";

export interface CertFolder {
  dir: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Who these certificates say we are. */
  identity: Identity;
}

export function loadCertFolder(dir: string): CertFolder {
  const read = (file: string): Buffer => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      throw new AppError(Code.Unauthenticated, `no ${file} in ${dir}: run "ministripe certs init" and pass --certs with this identity's folder`);
    }
    try {
      return readFileSync(path);
    } catch (error) {
      throw unusable(dir, file, `cannot be read (${(error as { code?: string }).code ?? (error as Error).message})`);
    }
  };
  const ca = read("ca.pem");
  const cert = read("cert.pem");
  const key = read("key.pem");
  checkPair(dir, ca, cert, key);
  return { dir, ca, cert, key, identity: identityOfPem(cert.toString(), dir) };
}

/** One of the folder's files unusable: the same exit as a missing one (3), saying which and why. */
function unusable(dir: string, file: string, why: string): AppError {
  return new AppError(Code.Unauthenticated, `${file} in ${dir} ${why}: run "ministripe certs init" and pass --certs with this identity's folder`);
}

/**
 * The files parse as what they are, and the key is the certificate's: checked
 * here, where a wrong file can be named, not in the TLS library at the first
 * handshake (a bank then said "cannot listen", a client "internal error").
 */
function checkPair(dir: string, ca: Buffer, cert: Buffer, key: Buffer): void {
  const parsed = <T>(file: string, what: string, parse: () => T): T => {
    try {
      return parse();
    } catch {
      throw unusable(dir, file, `is not ${what} in PEM`);
    }
  };
  parsed("ca.pem", "a certificate", () => new X509Certificate(ca));
  const certificate = parsed("cert.pem", "a certificate", () => new X509Certificate(cert));
  const privateKey = parsed("key.pem", "a private key", () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) throw unusable(dir, "key.pem", "is not the key of its cert.pem (the folder mixes two identities' files)");
}

// node:crypto, not @peculiar/x509: every process reads its own certificate,
// and that library (needed only to make certificates) costs ~20 MB of memory.
function identityOfPem(pem: string, dir: string): Identity {
  const identity = identityFromSubject(subjectFields(new X509Certificate(pem).subject));
  if (!identity) throw new AppError(Code.Unauthenticated, `${dir}/cert.pem carries no ministripe role`);
  return identity;
}

/** "CN=hdfc\nOU=bank" -> { CN: "hdfc", OU: "bank" }; a repeated field becomes an array (no identity). */
function subjectFields(subject: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const line of subject.split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1);
    const seen = fields[key];
    fields[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

export function serverCredentials(folder: CertFolder): grpc.ServerCredentials {
  // true: a caller without a certificate from our CA is refused during the handshake.
  const credentials = grpc.ServerCredentials.createSsl(folder.ca, [{ cert_chain: folder.cert, private_key: folder.key }], true);
  // The options grpc-js gives the TLS server it makes (not part of its typed API; Bun's node:tls honours this one):
  // a connection whose handshake has not finished in time is closed, so half-made handshakes cannot hold every
  // file descriptor (Node's default is 120 s; left open, they never closed).
  const options = (credentials as unknown as { serverConstructorOptions: Record<string, unknown> | null }).serverConstructorOptions;
  assert(options !== null, "secure server credentials carry the TLS server's options");
  options.handshakeTimeout = limits.tlsHandshakeTimeoutMs;
  return credentials;
}

export function channelCredentials(folder: CertFolder): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(folder.ca, folder.key, folder.cert);
}
