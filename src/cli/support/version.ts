// The build injects the version with `define`; from source it is package.json's.
import pkg from "../../../package.json";

declare const MINISTRIPE_VERSION: string | undefined;

export const version: string = typeof MINISTRIPE_VERSION === "string" ? MINISTRIPE_VERSION : pkg.version;
