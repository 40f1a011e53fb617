import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db/client.js";
import { sqlitePath } from "../db/client.js";
import { PROJECT_ROOT } from "../db/migrate.js";
import type { QueueHealth } from "./routes.js";

// Readiness checks for /readyz against the real SQLite database. Each throws (or reports wedged) with a reason for
// the log; the HTTP answer only names the check.

/** The file must exist: opening a missing SQLite file would silently create an empty database. */
export function databaseCheck(db: Db, databaseUrl: string): () => Promise<void> {
  return async () => {
    const file = sqlitePath(databaseUrl);
    if (!fs.existsSync(file)) throw new Error(`database file ${file} does not exist`);
    await db.$queryRawUnsafe("SELECT 1");
  };
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
 * Wedged: a job has been due for longer than `maxWaitMs` while none was claimed, or a running job has held its lock for
 * longer than `maxRunMs` (a worker stuck or dead without recovery).
 */
export function queueCheck(
  db: Db,
  opts: { maxWaitMs?: number; maxRunMs?: number; now?: () => Date } = {},
): () => Promise<QueueHealth> {
  const maxWaitMs = opts.maxWaitMs ?? 15 * 60_000;
  const maxRunMs = opts.maxRunMs ?? 30 * 60_000;
  const now = opts.now ?? (() => new Date());
  return async () => {
    const t = now().getTime();
    const waiting = await db.job.findFirst({
      where: { state: "queued", runAt: { lt: new Date(t - maxWaitMs) } },
      orderBy: { runAt: "asc" },
      select: { runAt: true },
    });
    if (waiting)
      return {
        wedged: true,
        detail: `a job has been due for ${Math.round((t - waiting.runAt.getTime()) / 60_000)} min`,
      };
    const stuck = await db.job.findFirst({
      where: { state: "running", lockedAt: { lt: new Date(t - maxRunMs) } },
      orderBy: { lockedAt: "asc" },
      select: { lockedAt: true },
    });
    if (stuck?.lockedAt)
      return {
        wedged: true,
        detail: `a job has been running for ${Math.round((t - stuck.lockedAt.getTime()) / 60_000)} min`,
      };
    return { wedged: false };
  };
}
