import { DEFAULT_JOB_ATTEMPTS } from "./backoff.js";
import type { NewJob } from "./types.js";

// Its own module so that the two enqueue paths share it without importing each other.

/** DateTime as Prisma's SQLite adapter writes it (ISO 8601, `+00:00`), so raw and Prisma writes compare as text. */
export function sqliteTime(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/**
 * A new job's row, unless its dedupeKey is taken: the one insert of both enqueue paths (SqliteQueue#enqueue through
 * Prisma, DirectEnqueue on a connection of its own). Its parameters are insertJobParams'.
 */
export const INSERT_JOB_SQL = `
  INSERT INTO "Job" ("kind", "dedupeKey", "deliveryId", "installationId", "repository", "payload", "state", "attempts",
                     "maxAttempts", "runAt", "createdAt", "updatedAt")
  VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)
  ON CONFLICT ("dedupeKey") DO NOTHING
  RETURNING "id"`;

export function insertJobParams(job: NewJob, now: Date): (string | number | null)[] {
  const at = sqliteTime(now);
  const runAt = sqliteTime(job.runAt ?? now);
  return [
    job.kind,
    job.dedupeKey,
    job.deliveryId ?? null,
    job.installationId,
    job.repository,
    JSON.stringify(job.payload),
    job.maxAttempts ?? DEFAULT_JOB_ATTEMPTS,
    runAt,
    at,
    at,
  ];
}
