import Database from "better-sqlite3";
import { sqlitePath } from "../db/client.js";
import { jobData, sqliteTime } from "./sqlite-queue.js";
import type { EnqueueResult, NewJob } from "./types.js";

/**
 * The webhook's one write, on a better-sqlite3 connection of its own with the statements prepared once. Through the
 * Prisma client the same INSERT costs about three times the CPU (query plan interpretation, a statement prepared per
 * call), and it runs on the thread that acknowledges webhooks. Semantics are those of `SqliteQueue.enqueue`.
 */
export class DirectEnqueue {
  private readonly sqlite: Database.Database;
  private readonly insert: Database.Statement;
  private readonly existing: Database.Statement;

  constructor(databaseUrl: string, opts: { autoCheckpoint?: boolean } = {}) {
    this.sqlite = new Database(sqlitePath(databaseUrl), { timeout: 5000 });
    this.sqlite.pragma("synchronous = NORMAL");
    if (opts.autoCheckpoint === false) this.sqlite.pragma("wal_autocheckpoint = 0"); // see disableAutoCheckpoint
    this.insert = this.sqlite.prepare(`
      INSERT INTO "Job" ("kind", "dedupeKey", "deliveryId", "installationId", "repository", "payload", "state", "attempts",
                         "maxAttempts", "runAt", "createdAt", "updatedAt")
      VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING "id"`);
    this.existing = this.sqlite.prepare(`SELECT "id" FROM "Job" WHERE "dedupeKey" = ?`);
  }

  enqueue(job: NewJob): EnqueueResult {
    const d = jobData(job);
    const now = sqliteTime(new Date());
    const row = this.insert.get(d.kind, d.dedupeKey, d.deliveryId, d.installationId, d.repository, d.payload, d.maxAttempts, sqliteTime(d.runAt), now, now) as
      | { id: number }
      | undefined;
    if (row) return { created: true, jobId: Number(row.id) };
    const found = this.existing.get(d.dedupeKey) as { id: number } | undefined;
    return { created: false, jobId: found ? Number(found.id) : undefined };
  }

  close(): void {
    this.sqlite.close();
  }
}
