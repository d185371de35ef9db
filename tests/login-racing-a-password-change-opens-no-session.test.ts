// Proves a login that checked the old password but had not yet opened its session when the password changed gets no session: the change ends every session of the user, and one opened just after it on the old password would outlive it (someone who knew the old password would keep access through the change).
import { expect, setDefaultTimeout, test } from "bun:test";
import type { Session, SessionCredentials } from "../src/store/gateway-store";
import { systemWithSignedUpUsers } from "./support/sample-users";
import { failsWith } from "./support/system";

setDefaultTimeout(30_000);
const setup = systemWithSignedUpUsers(["alice"], { banks: ["hdfc", "icici"] });

test("a login on the old password whose session is opened after the change is refused, and no session of it works", async () => {
  const { system, alice } = setup;
  const store = system.gateway.store;
  const insertSession = store.insertSession.bind(store);
  // The next session write waits until the password has changed: the login has checked the old password by then.
  let changed: () => void = () => {};
  const changeDone = new Promise<void>((resolve) => (changed = resolve));
  let loginChecked: () => void = () => {};
  const checkedOldPassword = new Promise<void>((resolve) => (loginChecked = resolve));
  store.insertSession = async (session: Session, checked: SessionCredentials) => {
    store.insertSession = insertSession;
    loginChecked();
    await changeDone;
    return insertSession(session, checked);
  };

  const other = system.client("client-alice");
  const login = other.call("Login", { username: "alice", password: "alice-password" }, { retry: false });
  await checkedOldPassword;
  await alice.call("ChangePassword", { old_password: "alice-password", new_password: "alice-password-2" }, { retry: false });
  changed();
  expect((await failsWith(login, "UNAUTHENTICATED")).message).toContain("changed as you logged in");
  // The new password opens a session as usual.
  other.token = (await other.call("Login", { username: "alice", password: "alice-password-2" }, { retry: false })).token;
  expect((await other.call("GetBalance", {}, { retry: false })).bank).toBe("hdfc");
});
