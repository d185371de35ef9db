// Who a peer is: the role and name its certificate carries (OU and CN).
import { isBankName } from "../lib/fields";

export type Role = "client" | "gateway" | "bank" | "admin";
export const roles: readonly Role[] = ["client", "gateway", "bank", "admin"];

export interface Identity {
  role: Role;
  name: string;
}

/** The TLS name a server's certificate carries and its callers expect. */
export function serverNameOf(identity: Identity): string {
  return identity.role === "bank" ? `bank-${identity.name}` : identity.role;
}

/** The folder `certs init` writes for an identity. */
export function folderOf(identity: Identity): string {
  if (identity.role === "bank") return `bank-${identity.name}`;
  if (identity.role === "client") return `client-${identity.name}`;
  return identity.role;
}

/** A name in a certificate (a bank's, a client's): a bank name's rule. */
export function isValidName(name: string): boolean {
  return isBankName(name);
}

/** The identity in a peer certificate's subject, or undefined when it carries none we accept. */
export function identityFromSubject(subject: Record<string, unknown> | undefined): Identity | undefined {
  if (!subject) return undefined;
  const role = subject.OU;
  const name = subject.CN;
  // A field may repeat (an array): that is no identity at all.
  if (typeof role !== "string" || typeof name !== "string") return undefined;
  if (!roles.includes(role as Role)) return undefined;
  return { role: role as Role, name };
}
