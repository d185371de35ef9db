// Who may call what on the gateway, in one table. The certificate role picks
// who may call a method at all (a client can never call Coordinator, only a
// bank can); `session` says whether a user's bearer token is needed too.
// Customers see only their own data (the handlers scope every read and the
// payer to the session's user); operators use Admin with the admin
// certificate alone, as SPEC says for `audit`. A method missing here is refused.
import type { Role } from "../rpc/identity";
import { publicMethodsOf, rolesOf, sessionServicesOf, type AccessTable, type MethodAccess } from "../rpc/interceptors/access";

const everyone: readonly Role[] = ["client", "admin", "bank", "gateway"];

// Only a client certificate reaches a user's methods: an admin, bank or
// gateway certificate is refused by its role before any token is read
// (a user's session is bound to the client certificate it was opened over).
const signedIn: MethodAccess = { roles: ["client"], session: true };
const anonymous: MethodAccess = { roles: ["client"], session: false };
const operator: MethodAccess = { roles: ["admin"], session: false };

export const gatewayAccess: AccessTable = {
  "Gateway/Register": anonymous,
  "Gateway/Login": anonymous,
  "Gateway/Logout": signedIn,
  "Gateway/ChangePassword": signedIn,
  "Gateway/EnableMfa": signedIn,
  "Gateway/ConfirmMfa": signedIn,
  "Gateway/DisableMfa": signedIn,
  "Gateway/GetBalance": signedIn,
  "Gateway/Pay": signedIn,
  "Gateway/Refund": signedIn,
  "Gateway/GetPayment": signedIn,
  "Gateway/ListPayments": signedIn,
  "Gateway/WatchPayments": signedIn,
  "Admin/Audit": operator,
  "Admin/ListAllPayments": operator,
  "Admin/FindPayments": operator,
  "Admin/GetStats": operator,
  "Coordinator/GetDecision": { roles: ["bank"], session: false },
  "Health/Check": { roles: everyone, session: false },
  "Health/List": { roles: everyone, session: false },
  "Health/Watch": { roles: everyone, session: false },
  // Standard gRPC tools list the services with an operator's or a client's certificate.
  "ServerReflection/ServerReflectionInfo": { roles: ["client", "admin"], session: false },
};

/** The table in the shapes the interceptors take (see src/gateway/gateway.ts). */
export const access = {
  services: rolesOf(gatewayAccess),
  session: {
    services: sessionServicesOf(gatewayAccess),
    publicMethods: publicMethodsOf(gatewayAccess),
  },
} as const;
