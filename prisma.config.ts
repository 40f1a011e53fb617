import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// Prisma 6.19 with the JS (WASM) schema engine: Prisma 7's CLI and the native schema engine need downloads that
// self-hosters behind a proxy (and our CI) cannot make. `migrate deploy` runs through the same adapter as the app.
// DATABASE_URL picks the provider: a postgres(ql):// URL uses the PostgreSQL schema and migrations that
// `npm run db:schemas` generates from prisma/schema.prisma; anything else is the SQLite file.
const url = process.env.DATABASE_URL ?? "file:./data/ci-medic.db";
const postgres = /^postgres(ql)?:\/\//.test(url);
const folder = postgres ? path.join("prisma", "postgres") : "prisma";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(folder, "schema.prisma"),
  migrations: { path: path.join(folder, "migrations") },
  async adapter() {
    return postgres ? new PrismaPg({ connectionString: url }) : new PrismaBetterSQLite3({ url });
  },
});
