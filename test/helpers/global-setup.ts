import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrateDeploy } from "../../src/db/migrate.js";
import { PgBossStore } from "../../src/queue/pg-boss-store.js";
import { admin, DEFAULT_TEST_PG_URL, withDatabase } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    testDir: string;
    pgTemplate: { serverUrl: string; template: string } | undefined;
  }
}

/**
 * One migrated template database per test run, in a folder of its own (parallel runs must not share it); each test
 * copies it (see db.ts), which is much faster than migrating. The same for PostgreSQL when a server is reachable
 * (see postgres.ts): a template database named for this run, dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = path.resolve(".vitest-tmp", `run-${process.pid}-${randomUUID().slice(0, 8)}`);
  fs.mkdirSync(dir, { recursive: true });
  await migrateDeploy(`file:${path.join(dir, "template.db")}`);
  project.provide("testDir", dir);
  const pg = await postgresTemplate();
  project.provide("pgTemplate", pg);
  return async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (pg) await admin(pg.serverUrl, `DROP DATABASE IF EXISTS ${pg.template} WITH (FORCE)`);
  };
}

async function postgresTemplate(): Promise<{ serverUrl: string; template: string } | undefined> {
  const serverUrl = process.env.CI_MEDIC_TEST_PG_URL || DEFAULT_TEST_PG_URL;
  try {
    await admin(serverUrl, "SELECT 1");
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (process.env.CI_MEDIC_REQUIRE_PG === "1")
      throw new Error(`CI_MEDIC_REQUIRE_PG=1 but PostgreSQL is not reachable at ${redactUrl(serverUrl)}: ${why}`);
    console.warn(`PostgreSQL not reachable at ${redactUrl(serverUrl)} (${why}): the PostgreSQL tests are skipped.`);
    return undefined;
  }
  const template = `ci_medic_tpl_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin(serverUrl, `CREATE DATABASE ${template}`);
  const url = withDatabase(serverUrl, template);
  await migrateDeploy(url);
  // pg-boss's schema too: creating it takes a few seconds, once per run rather than once per test database.
  const store = await PgBossStore.open({
    connectionString: url,
    runsJobs: false,
    leaseMs: 60_000,
    retentionDays: 30,
    log: console,
  });
  await store.close();
  return { serverUrl, template };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
