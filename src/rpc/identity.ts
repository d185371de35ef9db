// Who a peer is: the role and name its certificate carries (OU and CN).
import { limits } from "../lib/limits";

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

const namePattern = /^[a-z0-9][a-z0-9_-]*$/;

export function isValidName(name: string): boolean {
  return name.length <= limits.bankNameLengthMax && namePattern.test(name);
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
