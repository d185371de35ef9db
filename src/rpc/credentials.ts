// Loads one identity's certificate folder into mutual-TLS credentials.
import * as grpc from "@grpc/grpc-js";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, Code } from "../lib/errors";
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
    return readFileSync(path);
  };
  const ca = read("ca.pem");
  const cert = read("cert.pem");
  const key = read("key.pem");
  return { dir, ca, cert, key, identity: identityOfPem(cert.toString(), dir) };
}

function identityOfPem(pem: string, dir: string): Identity {
  const parsed = new x509.X509Certificate(pem);
  const subject: Record<string, string> = {};
  for (const part of parsed.subjectName.toJSON()) {
    for (const [key, values] of Object.entries(part)) subject[key] = values[0] ?? "";
  }
  const identity = identityFromSubject(subject);
  if (!identity) throw new AppError(Code.Unauthenticated, `${dir}/cert.pem carries no ministripe role`);
  return identity;
}

export function serverCredentials(folder: CertFolder): grpc.ServerCredentials {
  // true: a caller without a certificate from our CA is refused during the handshake.
  return grpc.ServerCredentials.createSsl(folder.ca, [{ cert_chain: folder.cert, private_key: folder.key }], true);
}

export function channelCredentials(folder: CertFolder): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(folder.ca, folder.key, folder.cert);
}
