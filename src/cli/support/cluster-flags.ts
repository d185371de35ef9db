// --gateways and --database, as dev and bench read them.
import { limits } from "../../lib/limits";
import { parseDatabaseUrl } from "../../store/postgres";
import { UsageError } from "./exit";
import { intFlag, str, type FlagSpec, type Flags } from "./flags";

/** --gateways, as dev and bench declare it (each says what its --database is for). */
export const gatewaysFlag: FlagSpec = { type: "string", value: "N", help: "gateways sharing --database (more than one needs it)", default: "1" };

/** --gateways and --database: several gateways need one database to share (each SQLite file belongs to one gateway). */
export function severalOf(flags: Flags): { gateways: number; database?: string } {
  const gateways = intFlag(flags, "gateways", 1, 1, limits.devGatewaysMax);
  const database = str(flags, "database") ?? process.env.MINISTRIPE_DATABASE_URL;
  if (gateways > 1 && !database) throw new UsageError(`--gateways ${gateways}: several gateways share one PostgreSQL database; pass --database postgres://USER:PASSWORD@HOST:PORT/DB (a gateway's SQLite file is its own)`);
  if (database) parseDatabaseUrl(database);
  return { gateways, database };
}
