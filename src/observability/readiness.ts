import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db/client.js";
import { databaseKind, sqlitePath } from "../db/client.js";
import { PROJECT_ROOT } from "../db/migrate.js";
import type { QueueEngine } from "../queue/engine.js";
import type { HealthLimits } from "../queue/types.js";
import type { QueueHealth } from "./routes.js";

// Readiness checks for /readyz against the real database. Each throws (or reports wedged) with a reason for the log;
// the HTTP answer only names the check.

/** A SQLite file must exist: opening a missing SQLite file would silently create an empty database. */
export function databaseCheck(db: Db, databaseUrl: string): () => Promise<void> {
  return async () => {
    if (databaseKind(databaseUrl) === "sqlite") {
      const file = sqlitePath(databaseUrl);
      if (!fs.existsSync(file)) throw new Error(`database file ${file} does not exist`);
    }
    await db.$queryRawUnsafe("SELECT 1");
  };
}

/** The migrations shipped for this database's provider (`npm run db:schemas` writes PostgreSQL's). */
export function migrationsDirOf(databaseUrl: string): string {
  return databaseKind(databaseUrl) === "postgres"
    ? path.join(PROJECT_ROOT, "prisma", "postgres", "migrations")
    : path.join(PROJECT_ROOT, "prisma", "migrations");
}

/** Every migration folder shipped in prisma/migrations is recorded as applied (and not rolled back). */
export function migrationsCheck(
  db: Db,
  migrationsDir: string = path.join(PROJECT_ROOT, "prisma", "migrations"),
): () => Promise<void> {
  const shipped = fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(migrationsDir, e.name, "migration.sql")))
    .map((e) => e.name);
  return async () => {
    let applied: { migration_name: string }[];
    try {
      applied = await db.$queryRawUnsafe<{ migration_name: string }[]>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      );
    } catch (error) {
      throw new Error("no _prisma_migrations table: `prisma migrate deploy` has not run", { cause: error });
    }
    const done = new Set(applied.map((r) => r.migration_name));
    const missing = shipped.filter((name) => !done.has(name));
    if (missing.length > 0) throw new Error(`migrations not applied: ${missing.join(", ")}`);
  };
}

/**
 * Wedged: a job has been due for longer than `maxWaitMs` while none was claimed, or a job has run (or held a lapsed
 * lease) for longer than `maxRunMs`. Asked of the queue engine, which alone reads its job table.
 */
export function queueCheck(queue: Pick<QueueEngine, "health">, limits: HealthLimits = {}): () => Promise<QueueHealth> {
  return () => queue.health(limits);
}
