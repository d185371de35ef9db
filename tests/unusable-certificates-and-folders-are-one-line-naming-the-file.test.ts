// Proves a certificate folder with an unusable file, or a data or certificate folder the process cannot write, stops a command at once with one line naming the file and what is wrong, with SPEC's exit code (3 for certificates, as a missing one; 2 for a folder to correct), never "internal error" (exit 1, a decline's code) or a misleading "cannot listen": a key from another identity, a key that is not a key, a key that is a folder, a data folder under a file.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initCertificates } from "../src/rpc/certificates";
import { deadAddress, runMain } from "./support/cli";

setDefaultTimeout(60_000);
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ministripe-unusable-"));
  await initCertificates({ dir: join(dir, "certs"), hosts: ["127.0.0.1"], banks: ["hdfc", "icici"], clients: ["alice"] });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of `identity`'s folder with its key.pem replaced by `spoil`. */
function spoiled(identity: string, name: string, spoil: (keyPath: string) => void): string {
  const folder = join(dir, name);
  cpSync(join(dir, "certs", identity), folder, { recursive: true });
  rmSync(join(folder, "key.pem"));
  spoil(join(folder, "key.pem"));
  return folder;
}

function oneLine(stderr: string): string {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toContain("internal error");
  return stderr.trim();
}

test("a client's or a bank's key.pem from another identity, not a key, or a folder: exit 3 naming key.pem", async () => {
  const gateway = await deadAddress();
  const otherKey = spoiled("client-alice", "alice-other-key", (path) => copyFileSync(join(dir, "certs", "bank-hdfc", "key.pem"), path));
  const notAKey = spoiled("client-alice", "alice-garbage-key", (path) => writeFileSync(path, "garbage\n"));
  const aFolder = spoiled("client-alice", "alice-folder-key", (path) => mkdirSync(path));
  for (const [folder, why] of [
    [otherKey, "is not the key of its cert.pem (the folder mixes two identities' files)"],
    [notAKey, "is not a private key in PEM"],
    [aFolder, "cannot be read (EISDIR)"],
  ] as const) {
    const run = await runMain(["balance", "--certs", folder, "--home", join(dir, "home"), "--gateway", gateway]);
    expect({ folder, exitCode: run.exitCode }).toEqual({ folder, exitCode: 3 });
    expect(oneLine(run.stderr)).toBe(`ministripe balance: key.pem in ${folder} ${why}: run "ministripe certs init" and pass --certs with this identity's folder`);
  }
  const bankFolder = spoiled("bank-hdfc", "hdfc-other-key", (path) => copyFileSync(join(dir, "certs", "bank-icici", "key.pem"), path));
  const bank = await runMain(["bank", "--name", "hdfc", "--port", "0", "--certs", bankFolder, "--data", join(dir, "bank-data")]);
  expect(bank.exitCode).toBe(3);
  expect(oneLine(bank.stderr)).toContain(`key.pem in ${bankFolder} is not the key of its cert.pem`);
});

test("a data folder below a file, and certs init into a file: exit 2 naming the path", async () => {
  const aFile = join(dir, "a-file");
  writeFileSync(aFile, "not a folder\n");
  const gateway = await runMain(["gateway", "--port", "0", "--bank", "hdfc=127.0.0.1:1", "--certs", join(dir, "certs", "gateway"), "--data", join(aFile, "data")]);
  expect(gateway.exitCode).toBe(2);
  expect(oneLine(gateway.stderr)).toContain(`${aFile}`);
  const certs = await runMain(["certs", "init", "--dir", aFile]);
  expect(certs.exitCode).toBe(2);
  expect(oneLine(certs.stderr)).toContain(aFile);
});
