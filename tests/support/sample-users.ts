// The users of the sample accounts, and the setup many tests repeat: one
// system for a file's tests with some of these users registered and logged
// in, through the CLI (a home each) or as GatewayClients.
import { afterAll, beforeAll } from "bun:test";
import type { GatewayClient } from "../../src/client/gateway-client";
import { cliUser, type CliUser } from "./cli";
import { FaultProxy } from "./fault-proxy";
import { loadedTotalMinor, sampleAccounts, signUp, startSystem, type SystemOptions, type TestSystem } from "./system";

/** Users of accounts in the sample accounts file, each at a bank of their own. */
export const sampleUsers = {
  alice: { username: "alice", bank: "hdfc", account: "1001" },
  bob: { username: "bob", bank: "icici", account: "2001" },
  carol: { username: "carol", bank: "sbi", account: "3001" },
} as const;
export type SampleUserName = keyof typeof sampleUsers;

/** Set by the file's beforeAll: read it inside tests (`const { system, alice } = setup;`). */
export type UsersSetup<N extends SampleUserName, U> = {
  system: TestSystem;
  /** The money the banks loaded, in minor units: what every test that moves money checks the total against. */
  totalMinor: bigint;
} & Record<N, U>;

/** A system for this file's tests (stopped after them) with these sample users registered and logged in through the CLI. */
export function systemWithCliUsers<N extends SampleUserName>(names: readonly N[], options: SystemOptions = {}): UsersSetup<N, CliUser> {
  return systemWithUsers(names, options, cliUser);
}

/** Puts a FaultProxy between one CLI user and the gateway for this file's tests: that user's commands dial `setup.clientLink`. */
export function withClientLink<K extends SampleUserName, S extends { system: TestSystem } & Record<K, CliUser>>(setup: S, name: K): S & { clientLink: FaultProxy } {
  const linked = setup as S & { clientLink: FaultProxy };
  beforeAll(async () => {
    linked.clientLink = await FaultProxy.start(setup.system.gatewayAddress);
    setup[name].gateway = linked.clientLink.address;
  });
  afterAll(async () => {
    await linked.clientLink.stop();
  });
  return linked;
}

/** A system for this file's tests (stopped after them) with these sample users registered and logged in as GatewayClients. */
export function systemWithSignedUpUsers<N extends SampleUserName>(names: readonly N[], options: SystemOptions = {}): UsersSetup<N, GatewayClient> {
  return systemWithUsers(names, options, signUp);
}

function systemWithUsers<N extends SampleUserName, U>(names: readonly N[], options: SystemOptions, register: (system: TestSystem, user: (typeof sampleUsers)[N]) => Promise<U>): UsersSetup<N, U> {
  const setup = { totalMinor: loadedTotalMinor(options.accountsYaml ?? sampleAccounts, options.banks ?? ["hdfc", "icici", "sbi"]) } as UsersSetup<N, U>;
  beforeAll(async () => {
    setup.system = await startSystem(options);
    const users = await Promise.all(names.map((name) => register(setup.system, sampleUsers[name])));
    names.forEach((name, i) => Object.assign(setup, { [name]: users[i] }));
  });
  afterAll(async () => {
    await setup.system.stop();
  });
  return setup;
}
