import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// Prisma 6.19 with the JS (WASM) schema engine: Prisma 7's CLI and the native schema engine need downloads that
// self-hosters behind a proxy (and our CI) cannot make. `migrate deploy` runs through the same adapter as the app.
const url = process.env.DATABASE_URL ?? "file:./data/ci-medic.db";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    return new PrismaBetterSQLite3({ url });
  },
});
