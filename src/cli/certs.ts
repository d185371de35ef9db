import { isIP } from "node:net";
import { quoted } from "../lib/errors";
import { initCertificates } from "../rpc/certificates";
import { isValidName } from "../rpc/identity";
import { UsageError } from "./support/exit";
import { bool, list, str, type Command } from "./support/flags";
import { plural } from "../lib/plural";
import { printJson, say } from "./support/output";

export const certsCommand: Command = {
  name: "certs",
  usage: "certs init [--dir certs] [--hosts localhost,127.0.0.1] [--banks hdfc,icici,sbi] [--clients NAME,...]",
  summary: "Makes a CA and one certificate folder per identity: ca/, gateway/, admin/, bank-NAME/, client-NAME/.",
  positionals: 1,
  flags: {
    dir: { type: "string", value: "DIR", help: "where to write the folders", default: "certs" },
    hosts: { type: "string", value: "NAMES", help: "host names and IPs servers are reached at", default: "localhost,127.0.0.1" },
    banks: { type: "string", value: "NAMES", help: "bank names", default: "hdfc,icici,sbi" },
    clients: { type: "string", value: "NAMES", help: "client (device) names (default: one client named \"default\")" },
    force: { type: "boolean", help: "replace an existing set" },
    json: { type: "boolean", help: "print one JSON object" },
  },
  async run(flags, positionals) {
    if (positionals[0] !== "init") throw new UsageError('usage: ministripe certs init [flags] (see --help)');
    const clients = str(flags, "clients") === undefined ? ["default"] : list(flags, "clients");
    const names = [...list(flags, "banks"), ...clients];
    const bad = names.find((name) => !isValidName(name));
    if (bad !== undefined) throw new UsageError(`"${bad}" is not a valid name: lowercase letters, digits, - and _`);
    for (const [flag, given] of [["--banks", list(flags, "banks")], ["--clients", clients]] as const) {
      const twice = given.find((name, i) => given.indexOf(name) !== i);
      if (twice !== undefined) throw new UsageError(`${flag}: "${twice}" given twice: each name once`);
    }
    const hosts = list(flags, "hosts");
    if (hosts.length === 0) throw new UsageError("--hosts: at least one host");
    // Checked before anything is written: a bad one found while signing left a CA behind, and a rerun refused.
    const badHost = hosts.find((host) => !isCertificateHost(host));
    if (badHost !== undefined) throw new UsageError(`--hosts: ${quoted(badHost, 60)} is not a host name or an IP address (no port: "10.0.0.5", "gw.example.com")`);
    const written = await initCertificates({ dir: str(flags, "dir")!, hosts, banks: list(flags, "banks"), clients, force: bool(flags, "force") });
    if (bool(flags, "json")) printJson({ folders: written });
    else {
      say(`wrote ${plural(written.length, "certificate folder")}:`);
      for (const path of written) say(`  ${path}`);
      say("keep ca/ (the CA's key) off the servers; copy each process only its own folder");
    }
    return 0;
  },
};

/** A name a server's certificate can carry: an IPv4 or IPv6 address, or a DNS name (labels of letters, digits and hyphens). */
function isCertificateHost(host: string): boolean {
  // IPv6 written with an IPv4 tail or a zone (::ffff:1.2.3.4, fe80::1%eth0): the signer would encode another address.
  if (isIP(host) === 6) return !/[.%]/.test(host);
  if (isIP(host) === 4) return true;
  // Digits and dots that are no IPv4 address (1.2.3.4.5): not a name either (a top-level label is never all digits).
  if (/^[\d.]+$/.test(host)) return false;
  return host.length <= 253 && host.split(".").every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
