// Proves the login and registration throttles count failures per network, not
// per exact address: an IPv6 caller by its /64 (moving to another address of
// one's own block does not start a fresh count), a dual-stack listener's
// IPv4-mapped caller as its IPv4 address (not all IPv4 callers as one), IPv4
// as it is.
import { expect, test } from "bun:test";
import { LoginThrottle, throttledNetworkOf } from "../src/gateway/login-throttle";
import { limits, securityLimits } from "../src/lib/limits";
import { systemClock } from "../src/lib/clock";

test("peers as grpc-js gives them: IPv4 as it is, IPv4-mapped as IPv4, IPv6 by its /64", () => {
  expect(throttledNetworkOf("127.0.0.1:45730")).toBe("127.0.0.1");
  expect(throttledNetworkOf("ipv4:10.1.2.3:80")).toBe("10.1.2.3");
  expect(throttledNetworkOf("::ffff:127.0.0.1:36280")).toBe("127.0.0.1");
  expect(throttledNetworkOf("::ffff:10.9.8.7:1")).toBe("10.9.8.7");
  expect(throttledNetworkOf("::1:55164")).toBe("0:0:0:0::/64");
  expect(throttledNetworkOf("2001:db8:aa:bb:1:2:3:4:443")).toBe("2001:db8:aa:bb::/64");
  expect(throttledNetworkOf("[2001:DB8:AA:BB::99]:443")).toBe("2001:db8:aa:bb::/64");
  expect(throttledNetworkOf("2001:0db8:00aa:00bb:ffff::1:443")).toBe("2001:db8:aa:bb::/64");
  expect(throttledNetworkOf("2001:db8::5:443")).toBe("2001:db8:0:0::/64");
  expect(throttledNetworkOf("2001:db8:aa:bc::1:443")).not.toBe(throttledNetworkOf("2001:db8:aa:bb::1:443"));
});

test("failed registrations from two addresses of one IPv6 /64 count together, up to the lockout", async () => {
  const throttle = new LoginThrottle(() => systemClock.nowMs());
  const lockoutAt = securityLimits.registrationPeerFailuresBeforeLockout;
  // Every admitted check counts as failed until it succeeds: these never do.
  for (let i = 0; i < lockoutAt; i++) {
    const peer = `2001:db8:aa:bb:${(i + 1).toString(16)}::1:${40_000 + i}`;
    const attempt = await throttle.registration(throttledNetworkOf(peer));
    expect(attempt.delayMs).toBeLessThanOrEqual(limits.loginDelayMsMax);
  }
  const refused = await throttle.registration(throttledNetworkOf("2001:db8:aa:bb:ffff::9:50000")).then(
    () => undefined,
    (error: Error & { code: string }) => error.code,
  );
  expect(refused).toBe("RESOURCE_EXHAUSTED");
  // Another /64 is counted on its own.
  expect((await throttle.registration(throttledNetworkOf("2001:db8:aa:bc::1:50001"))).delayMs).toBe(0);
});
