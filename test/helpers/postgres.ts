import { randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

// PostgreSQL for tests. global-setup.ts looks for a server once per run (CI_MEDIC_TEST_PG_URL, by default the local
// one), makes a migrated template database of its own (its pg-boss schema too), and provides its URL; without a
// server it provides nothing and prints one line, and these tests are skipped (`describe.skipIf(!pgTemplate())`).
// With CI_MEDIC_REQUIRE_PG=1 (CI) a missing server fails the run instead.

export const DEFAULT_TEST_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** The server's maintenance database URL, with `database` in place of its database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The template database of this run, or undefined when PostgreSQL is not reachable. */
export function pgTemplate(): { serverUrl: string; template: string } | undefined {
  return inject("pgTemplate");
}

/**
 * A database of one's own, a copy of the run's migrated template (or `empty`, for tests of migrating it); `drop()`
 * removes it (and its connections).
 */
export async function createPgTestDb(
  opts: { empty?: boolean } = {},
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const tpl = pgTemplate();
  if (!tpl) throw new Error("PostgreSQL is not reachable: guard the test with describe.skipIf(!pgTemplate())");
  const name = `ci_medic_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin(tpl.serverUrl, `CREATE DATABASE ${name}${opts.empty ? "" : ` TEMPLATE ${tpl.template}`}`);
  return {
    url: withDatabase(tpl.serverUrl, name),
    name,
    drop: () => admin(tpl.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** One statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction). */
export async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
