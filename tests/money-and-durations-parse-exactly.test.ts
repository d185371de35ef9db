// Proves the CLI's money and duration rules: decimals become exact minor
// units, and zero, negative, over-precise, malformed and over-maximum amounts
// are refused with INVALID_ARGUMENT naming the field; durations take ms, s, m, h.
import { expect, test } from "bun:test";
import { parseDurationMs, formatDurationMs } from "../src/lib/duration";
import { AppError } from "../src/lib/errors";
import { formatMinor, parseAmountMinor } from "../src/lib/money";

test("amounts parse to exact minor units and print back", () => {
  expect(parseAmountMinor("100.50")).toBe(10_050n);
  expect(parseAmountMinor("0.01")).toBe(1n);
  expect(parseAmountMinor("7")).toBe(700n);
  expect(parseAmountMinor("7.5")).toBe(750n);
  expect(parseAmountMinor("10000000.00")).toBe(1_000_000_000n);
  expect(formatMinor(10_050n)).toBe("100.50");
  expect(formatMinor(-5n)).toBe("-0.05");
});

test("bad amounts are INVALID_ARGUMENT naming the field", () => {
  for (const text of ["0", "0.00", "-1", "1.005", "1e3", "", "abc", "1,000", "10000000.01", " 12..3"]) {
    let error: unknown;
    try {
      parseAmountMinor(text, "--amount");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("INVALID_ARGUMENT");
    expect((error as AppError).message).toStartWith("--amount:");
  }
});

test("an amount above the maximum says its bound, however many digits it has", () => {
  for (const text of ["10000000.01", "99999999999999999999", "12345678901234567.50"]) expect(() => parseAmountMinor(text, "--amount")).toThrow("--amount: must be at most 10000000.00");
});

test("durations take ms, s, m and h, and nothing else", () => {
  expect(parseDurationMs("250ms", "--x")).toBe(250);
  expect(parseDurationMs("5s", "--x")).toBe(5_000);
  expect(parseDurationMs("2m", "--x")).toBe(120_000);
  expect(parseDurationMs("1h", "--x")).toBe(3_600_000);
  expect(formatDurationMs(120_000)).toBe("2m");
  for (const bad of ["5", "5sec", "-5s", "1.5s", ""]) expect(() => parseDurationMs(bad, "--x")).toThrow("--x:");
});
