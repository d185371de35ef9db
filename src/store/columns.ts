// Column types for a database opened with safeIntegers: money stays bigint,
// times and counts become numbers.
import { customType } from "drizzle-orm/sqlite-core";

export const minor = customType<{ data: bigint; driverData: bigint }>({
  dataType: () => "integer",
  fromDriver: (value) => BigInt(value),
  toDriver: (value) => value,
});

export const ms = customType<{ data: number; driverData: bigint | number }>({
  dataType: () => "integer",
  fromDriver: (value) => Number(value),
  toDriver: (value) => value,
});

export const count = customType<{ data: number; driverData: bigint | number }>({
  dataType: () => "integer",
  fromDriver: (value) => Number(value),
  toDriver: (value) => value,
});
