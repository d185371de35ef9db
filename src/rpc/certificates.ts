// Makes a CA and one certificate per identity in-process (no openssl at run
// time): ECDSA P-256, the role in OU, the name in CN, host names in the SAN.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, Code } from "../lib/errors";
import { folderOf, serverNameOf, type Identity } from "./identity";

x509.cryptoProvider.set(crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const validityMs = 2 * 365 * 24 * 60 * 60 * 1000;

interface Issued {
  certPem: string;
  keyPem: string;
}

export interface CertsInitOptions {
  dir: string;
  hosts: string[];
  banks: string[];
  clients: string[];
  /** Replace an existing set; without it an existing CA is an error. */
  force?: boolean;
}

export async function initCertificates(options: CertsInitOptions): Promise<string[]> {
  if (existsSync(join(options.dir, "ca", "cert.pem")) && !options.force) {
    throw new AppError(Code.AlreadyExists, `${options.dir}/ca already exists; pass --force to replace every certificate`);
  }
  const ca = await makeCa();
  const identities: Identity[] = [
    { role: "gateway", name: "gateway" },
    { role: "admin", name: "admin" },
    ...options.banks.map((name) => ({ role: "bank" as const, name })),
    ...options.clients.map((name) => ({ role: "client" as const, name })),
  ];
  const written = [writeFolder(options.dir, "ca", ca.certPem, ca)];
  for (const identity of identities) {
    const leaf = await makeLeaf(ca, identity, options.hosts);
    written.push(writeFolder(options.dir, folderOf(identity), ca.certPem, leaf));
  }
  return written;
}

interface Ca extends Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function makeCa(): Promise<Ca> {
  const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const nowMs = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=ministripe CA, O=ministripe",
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + validityMs),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

async function makeLeaf(ca: Ca, identity: Identity, hosts: string[]): Promise<Issued> {
  const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const nowMs = Date.now();
  const names = [serverNameOf(identity), ...hosts].map((host) =>
    /^[\d.]+$|:/.test(host) ? { type: "ip" as const, value: host } : { type: "dns" as const, value: host },
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${identity.name}, OU=${identity.role}, O=ministripe`,
    issuer: ca.cert.subject,
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + validityMs),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

function writeFolder(dir: string, folder: string, caPem: string, issued: Issued): string {
  const path = join(dir, folder);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  writeFileSync(join(path, "ca.pem"), caPem);
  writeFileSync(join(path, "cert.pem"), issued.certPem);
  writeFileSync(join(path, "key.pem"), issued.keyPem, { mode: 0o600 });
  chmodSync(join(path, "key.pem"), 0o600);
  return path;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return Buffer.from(bytes).toString("hex");
}
