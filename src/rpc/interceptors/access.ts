// The shape of an access table: for each method ("Service/Method"), or for a
// whole service ("Service"), the certificate roles that may call it and
// whether a signed-in user is needed. Roles declare their tables; the
// interceptors only read them. What a table does not name is refused.
import type { Role } from "../identity";

export interface MethodAccess {
  /** Certificate roles (the OU of the peer's certificate) that may call it. */
  roles: readonly Role[];
  /** True when the caller must also present a user's bearer token. */
  session: boolean;
}

export type AccessTable = Record<string, MethodAccess>;

/** The roles that may call a method: its own entry first, then its service's. */
export type RoleTable = Record<string, readonly Role[]>;

export function rolesOf(table: AccessTable): RoleTable {
  return Object.fromEntries(Object.entries(table).map(([path, rule]) => [path, rule.roles]));
}

/** The methods of a table that need no session, for the session interceptor. */
export function publicMethodsOf(table: AccessTable): string[] {
  return Object.entries(table)
    .filter(([path, rule]) => path.includes("/") && !rule.session)
    .map(([path]) => path);
}

/** The services with at least one method that needs a session. */
export function sessionServicesOf(table: AccessTable): string[] {
  const services = Object.entries(table)
    .filter(([, rule]) => rule.session)
    .map(([path]) => path.split("/")[0]!);
  return [...new Set(services)];
}

export function lookup<T>(table: Record<string, T>, service: string, method: string): T | undefined {
  return table[`${service}/${method}`] ?? table[service];
}
