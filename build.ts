// Builds dist/ministripe: one executable that runs every role.
// Protos, SQL migrations and the Argon2 addon are embedded; the version is
// injected with `define`.
import pkg from "./package.json";

const outfile = process.argv[2] ?? "dist/ministripe";
const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  compile: { outfile },
  minify: true,
  bytecode: true,
  format: "esm",
  target: "bun",
  define: { MINISTRIPE_VERSION: JSON.stringify(pkg.version) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile} (ministripe ${pkg.version})`);
