// Loaded before every test file (bunfig.toml): tests start real servers and
// processes, so the default per-test and per-hook timeout is 30 s, not 5 s.
// This is a bound against hangs, not a speed assertion.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
