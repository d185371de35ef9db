// Who may call what on the gateway, in one table. The certificate role picks
// the services; a session is needed for every Gateway method but these.
export const access = {
  services: {
    Gateway: ["client", "admin"],
    Admin: ["admin"],
    Coordinator: ["bank"],
    Health: ["client", "admin", "bank", "gateway"],
    ServerReflection: ["admin", "client"],
  },
  session: {
    services: ["Gateway"],
    publicMethods: ["Gateway/Register", "Gateway/Login"],
  },
} as const;
