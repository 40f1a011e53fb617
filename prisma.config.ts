import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// Prisma 6.19 with the JS (WASM) schema engine: Prisma 7's CLI and the native schema engine need downloads that
// self-hosters behind a proxy (and our CI) cannot make. `migrate deploy` runs through the same adapter as the app.
// DATABASE_URL picks the provider: a postgres(ql):// URL uses the PostgreSQL schema and migrations that
// `npm run db:schemas` generates from prisma/schema.prisma; anything else is the SQLite file.
const url = process.env.DATABASE_URL ?? "file:./data/ci-medic.db";
const postgres = /^postgres(ql)?:\/\//i.test(url);
const folder = postgres ? path.join("prisma", "postgres") : "prisma";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(folder, "schema.prisma"),
  migrations: { path: path.join(folder, "migrations") },
  async adapter() {
    return postgres ? catalogNamesAsText(new PrismaPg({ connectionString: url })) : new PrismaBetterSQLite3({ url });
  },
});

const PG_NAME_OID = 19;
const PG_TEXT_OID = 25;

interface PgQueryable {
  performIO(...args: unknown[]): Promise<{ fields: { dataTypeID: number }[] }>;
}

/**
 * The JS schema engine reads PostgreSQL's catalog (pg_class.relname, pg_namespace.nspname …), whose columns have the
 * type `name`, which @prisma/adapter-pg 6.19 cannot map: `migrate deploy` fails with "Column type 'name' could not
 * be deserialized from the database". Those columns are text, and are reported as text. This runs in the Prisma CLI
 * only (the app's queries never read the catalog); the adapter's query class is reached through a connection.
 */
function catalogNamesAsText(factory: PrismaPg): PrismaPg {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const queryable = Object.getPrototypeOf(Object.getPrototypeOf(adapter)) as Partial<PgQueryable> & {
      namesAsText?: boolean;
    };
    const performIO = queryable.performIO;
    if (typeof performIO !== "function")
      throw new Error("@prisma/adapter-pg changed: its query class is not where prisma.config.ts expects it");
    if (!queryable.namesAsText) {
      queryable.namesAsText = true;
      queryable.performIO = async function (this: PgQueryable, ...args: unknown[]) {
        const result = await performIO.apply(this, args);
        for (const field of result.fields) if (field.dataTypeID === PG_NAME_OID) field.dataTypeID = PG_TEXT_OID;
        return result;
      };
    }
    return adapter;
  };
  return factory;
}
