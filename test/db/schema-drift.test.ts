import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { testDir } from "../helpers/db.js";
import { pgTemplate, withDatabase } from "../helpers/postgres.js";

// One set of models, two providers: prisma/schema.prisma (SQLite) is the source; prisma/postgres/schema.prisma and its
// migrations are generated from it (`npm run db:schemas`). These tests fail when someone changes one side only.

const ROOT = path.resolve(".");
const SCALARS = new Set(["String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"]);

/** table → "column" or "column?" (nullable), from the models of a schema file. */
function modelColumns(schemaFile: string): Record<string, string[]> {
  // Comments out first: a doc comment may hold braces (`{ path, before, after }`) that would end a model early.
  const text = fs.readFileSync(schemaFile, "utf8").replace(/\/\/.*$/gm, "");
  const tables: Record<string, string[]> = {};
  for (const [, name, body] of text.matchAll(/^model\s+(\w+)\s*\{([^}]*)\}/gm)) {
    const columns: string[] = [];
    for (const [, field, type, modifier] of body!.matchAll(/^\s*(\w+)\s+(\w+)(\?|\[\])?/gm))
      if (SCALARS.has(type!)) columns.push(`${field}${modifier === "?" ? "?" : ""}`);
    tables[name!] = columns.sort();
  }
  return tables;
}

/** table → "column" or "column?", and the index names, of the SQLite database the SQLite migrations made. */
function sqliteShape(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const names = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_prisma_migrations'",
      )
      .all() as { name: string }[];
    const tables: Record<string, string[]> = {};
    for (const { name } of names) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as {
        name: string;
        notnull: number;
        pk: number;
      }[];
      tables[name] = columns.map((c) => `${c.name}${c.notnull || c.pk ? "" : "?"}`).sort();
    }
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string }[]
    )
      .map((r) => r.name)
      .sort();
    return { tables, indexes };
  } finally {
    db.close();
  }
}

async function postgresShape(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name != '_prisma_migrations'`,
    );
    const tables: Record<string, string[]> = {};
    for (const r of rows) (tables[r.table_name] ??= []).push(`${r.column_name}${r.is_nullable === "YES" ? "?" : ""}`);
    for (const columns of Object.values(tables)) columns.sort();
    const { rows: idx } = await client.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%\\_pkey' AND tablename != '_prisma_migrations'",
    );
    return { tables, indexes: idx.map((r) => r.indexname).sort() };
  } finally {
    await client.end();
  }
}

describe("the PostgreSQL schema and migrations", () => {
  it("are what `npm run db:schemas` generates from prisma/schema.prisma", () => {
    // Exit 1 with a message naming the command when the committed PostgreSQL schema differs.
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "db-schemas.mjs"), "--check"], { stdio: "pipe" });
    const sqliteMigrations = fs.readdirSync(path.join(ROOT, "prisma", "migrations")).filter((n) => /^\d/.test(n));
    const pgMigrations = fs
      .readdirSync(path.join(ROOT, "prisma", "postgres", "migrations"))
      .filter((n) => /^\d/.test(n));
    // Each PostgreSQL step is named after the SQLite migration it mirrors; the newest models are in both.
    for (const name of pgMigrations) expect(sqliteMigrations).toContain(name);
    expect(pgMigrations.at(-1)).toBe(sqliteMigrations.at(-1));
  });

  it("the SQLite migrations end at the models of prisma/schema.prisma", () => {
    const { tables } = sqliteShape(path.join(testDir(), "template.db"));
    expect(tables).toEqual(modelColumns(path.join(ROOT, "prisma", "schema.prisma")));
  });

  it.skipIf(!pgTemplate())("the PostgreSQL migrations end at the same tables, columns and indexes", async () => {
    const tpl = pgTemplate()!;
    const migrated = await postgresShape(withDatabase(tpl.serverUrl, tpl.template));
    const sqlite = sqliteShape(path.join(testDir(), "template.db"));
    expect(migrated.tables).toEqual(sqlite.tables);
    expect(migrated.indexes).toEqual(sqlite.indexes);
    expect(migrated.tables).toEqual(modelColumns(path.join(ROOT, "prisma", "postgres", "schema.prisma")));
  });
});
