// Files embedded in the binary as text (`import x from "./a.proto" with { type: "text" }`).
declare module "*.proto" {
  const text: string;
  export default text;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
