// Not a test of its own: a CLI process writing 30 lines of 100 KB through the
// CLI's output functions to a stdout whose reader stopped reading; it says on
// stderr when it is done. Run as `bun THIS > FIFO` with a reader that never reads.
import { say } from "../../src/cli/support/output";

process.stdout.write(""); // as a command that printed through Node's stream first: stdout is then non-blocking
const line = "x".repeat(100_000);
for (let i = 0; i < 30; i++) say(line);
process.stderr.write("done\n");
process.exit(0);
