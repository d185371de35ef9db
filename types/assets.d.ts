// Files embedded in the binary as text (`import x from "./a.proto" with { type: "text" }`).
declare module "*.proto" {
  const text: string;
  export default text;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
// The dashboard's style and script (src/dashboard/assets); the script is named
// .js.txt so TypeScript leaves it alone: it runs in the browser as it is.
// (@types/bun declares *.html as a bundle: server.ts reads that import as text.)
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.js.txt" {
  const text: string;
  export default text;
}
