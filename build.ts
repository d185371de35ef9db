// Builds dist/ministripe: one executable that runs every role.
// Protos, SQL migrations and the Argon2 addon are embedded; the version is
// injected with `define`.
import pkg from "./package.json";

// The wire types first (git-ignored, generated from proto/): the sources import them.
const generated = Bun.spawnSync([process.execPath, "run", "src/rpc/wire/generate.ts"], { cwd: import.meta.dir, stdout: "inherit", stderr: "inherit" });
if (generated.exitCode !== 0) process.exit(1);

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
