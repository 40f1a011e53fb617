import Database from "better-sqlite3";
import { sqlitePath } from "../db/client.js";
import { INSERT_JOB_SQL, insertJobParams } from "./insert-job.js";
import type { EnqueueResult, NewJob } from "./types.js";

interface Pending {
  job: NewJob;
  since: number;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

/**
 * The webhooks' one write, on a better-sqlite3 connection of its own, with its statements prepared once (through the
 * Prisma client the same INSERT costs about three times the CPU, on the thread that acknowledges webhooks). Semantics
 * are those of `SqliteQueue.enqueue`. Two things keep the event loop free:
 * - enqueues issued together (in one microtask checkpoint, or while the database was locked) are written in one
 *   transaction: one commit, one set of WAL pages. Not one per turn of the event loop: in a burst, each webhook is
 *   answered as soon as its own row is written, not when the last of the burst is;
 * - a database locked by the job thread is never waited for synchronously (better-sqlite3's busy timeout would
 *   sleep in this thread): the batch is tried again a moment later, for up to `busyTimeoutMs`.
 */
export class DirectEnqueue {
  private readonly sqlite: Database.Database;
  private readonly insertOne: (job: NewJob) => EnqueueResult;
  private readonly insertAll: Database.Transaction<(jobs: NewJob[]) => EnqueueResult[]>;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    databaseUrl: string,
    private readonly opts: { autoCheckpoint?: boolean; busyTimeoutMs?: number } = {},
  ) {
    this.sqlite = new Database(sqlitePath(databaseUrl), { timeout: 0 });
    this.sqlite.pragma("synchronous = NORMAL");
    if (opts.autoCheckpoint === false) this.sqlite.pragma("wal_autocheckpoint = 0"); // see disableAutoCheckpoint
    const insert = this.sqlite.prepare(INSERT_JOB_SQL);
    const existing = this.sqlite.prepare(`SELECT "id" FROM "Job" WHERE "dedupeKey" = ?`);
    this.insertOne = (job) => {
      const row = insert.get(...insertJobParams(job, new Date())) as { id: number } | undefined;
      if (row) return { created: true, jobId: Number(row.id) };
      const found = existing.get(job.dedupeKey) as { id: number } | undefined;
      return { created: false, jobId: found ? Number(found.id) : undefined };
    };
    this.insertAll = this.sqlite.transaction((jobs: NewJob[]) => jobs.map(this.insertOne));
  }

  enqueue(job: NewJob): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ job, since: Date.now(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let results: EnqueueResult[];
    try {
      results = this.insertAll.immediate(batch.map((p) => p.job));
    } catch (error) {
      const busy =
        typeof (error as { code?: unknown }).code === "string" &&
        (error as { code: string }).code.startsWith("SQLITE_BUSY");
      const limit = Date.now() - (this.opts.busyTimeoutMs ?? 5_000);
      const retry: typeof batch = [];
      for (const p of batch) {
        if (busy && p.since > limit) retry.push(p);
        else p.reject(error);
      }
      if (retry.length > 0) {
        this.pending = [...retry, ...this.pending];
        this.scheduled = true;
        setTimeout(() => this.flush(), 2);
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  close(): void {
    this.sqlite.close();
  }
}
