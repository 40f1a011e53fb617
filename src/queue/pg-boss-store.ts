import { createHash } from "node:crypto";
import pg from "pg";
import PgBoss from "pg-boss";
import { DEFAULT_JOB_ATTEMPTS, PG_BOSS_RETRY_DELAY_S } from "./backoff.js";
import { DEFAULT_MAX_RUN_MS, DEFAULT_MAX_WAIT_MS, waitingDetail } from "./health.js";
import type {
  ClaimedJob,
  EnqueueResult,
  HealthLimits,
  HeldJob,
  JobId,
  JobState,
  JobStore,
  NewJob,
  QueueHealth,
  ScheduledTask,
} from "./types.js";

// The PostgreSQL engine's store: jobs live in pg-boss (schema `pgboss`), which does the claiming (SKIP LOCKED), the
// retries with exponential delay, the expiry of leases (`expireInSeconds`, by its maintenance) and cron across
// replicas. What pg-boss 10 lacks is added here, each as a small statement on pg-boss's own job table:
// - dedupe for as long as a job is kept: the job id is a UUID derived from the dedupe key (pg-boss inserts with
//   ON CONFLICT DO NOTHING on its primary key);
// - lease renewal: a running job's `started_on` moves forward, so pg-boss expires only the jobs of a dead process;
// - a per-installation limit across replicas: a session advisory lock per (installation, slot), freed by the database
//   when the process dies;
// - putting a job back untouched (shutdown, rate-limit waits, a full installation) and failing it for good;
// - a holder: pg-boss completes any active job and fails any unfinished one by id alone, so a worker whose lease ran
//   out could finish or fail the job another replica has taken since. The claim writes its worker into the job's
//   data (`lockedBy`), and an outcome is recorded only while that worker and attempt still hold it;
// - wake-ups across replicas: NOTIFY after an enqueue, LISTEN in the replicas that run jobs.

const QUEUE = "ci-medic-jobs";
const SCHEMA = "pgboss";
const CHANNEL = "ci_medic_jobs";
/** key1 of the per-installation advisory locks is SLOT_KEY + slot; key2 is the installation id. */
const SLOT_KEY = 0x43490000;
/** The session's name in pg_stat_activity. */
export const SESSION_NAME = "ci-medic queue session";
/** Jobs looked at per claim: enough to find one of a free installation past a flooding one. */
const FETCH_BATCH = 10;

interface JobData {
  kind: string;
  /** The worker of the current claim, and when it claimed the job (written at claim time). */
  lockedBy?: string;
  claimedAt?: string;
  installationId: number;
  repository: string;
  deliveryId: string | null;
  payload: unknown;
}

/** The same dedupe key is the same pg-boss job id. */
export function jobIdOf(dedupeKey: string): string {
  const h = createHash("sha256").update(`ci-medic:${dedupeKey}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Back to the queue as it was before this claim: the attempt is not counted (pg-boss counts at fetch time). $5, when
 * set, is the worker that must hold the jobs, and $6 the retry count of its claim.
 */
const PUT_BACK_SQL = `
  UPDATE ${SCHEMA}.job SET state = 'created', start_after = COALESCE($3::timestamptz, start_after),
    created_on = CASE WHEN $4::boolean THEN now() ELSE created_on END,
    started_on = CASE WHEN retry_count = 0 THEN NULL ELSE started_on END,
    retry_count = GREATEST(retry_count - 1, 0)
  WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'
    AND ($5::text IS NULL OR data->>'lockedBy' = $5) AND ($6::int IS NULL OR retry_count = $6)`;

/**
 * The job as a claim left it: running, held by worker $3, on the attempt of retry count $4. A job whose lease ran out
 * is failed by pg-boss's maintenance, and fetching it again counts an attempt: it no longer matches.
 */
const HELD_SQL = `name = $1 AND id = $2::uuid AND state = 'active' AND data->>'lockedBy' = $3 AND retry_count = $4`;

export interface PgBossStoreOptions {
  connectionString: string;
  /** Runs jobs and housekeeping (the job thread, or the in-process worker); false: only enqueues (webhook thread). */
  runsJobs: boolean;
  leaseMs: number;
  retentionDays: number;
  /** First retry delay; pg-boss doubles it at each attempt, with jitter. */
  retryDelaySeconds?: number | undefined;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export class PgBossStore implements JobStore {
  /** Held per-installation slots of this process's running jobs: job id → [key1, key2]. */
  private readonly slots = new Map<JobId, [number, number]>();
  private session: pg.Client | undefined;
  /** Connections for recording outcomes, each in a transaction that holds the job's row (see `asHolder`). */
  private outcomes: pg.Pool | undefined;
  private closed = false;
  private readonly listeners: (() => void)[] = [];
  private readonly stopWork: (() => Promise<void>)[] = [];

  private constructor(
    private readonly boss: PgBoss,
    private readonly opts: PgBossStoreOptions,
  ) {}

  static async open(opts: PgBossStoreOptions): Promise<PgBossStore> {
    const leaseSeconds = Math.max(1, Math.round(opts.leaseMs / 1000));
    const keepSeconds = opts.retentionDays * 24 * 3600;
    const boss = new PgBoss({
      connectionString: opts.connectionString,
      schema: SCHEMA,
      max: opts.runsJobs ? 5 : 3,
      // Maintenance expires the leases of dead processes: often enough that their jobs run again within two leases.
      supervise: opts.runsJobs,
      schedule: opts.runsJobs,
      maintenanceIntervalSeconds: Math.max(1, Math.floor(leaseSeconds / 2)),
      // Finished jobs stay in the job table (and keep their id, the dedupe key) until `purge` or the retention.
      archiveCompletedAfterSeconds: keepSeconds,
      archiveFailedAfterSeconds: keepSeconds,
      deleteAfterDays: 1,
    });
    boss.on("error", (error) => opts.log.error({ err: error }, "pg-boss error"));
    await boss.start(); // creates or migrates its schema under its own advisory lock: replicas may start together
    // The queue's own options are written once, by whoever creates it: each job carries its options instead (a lease
    // or retry delay changed in the environment applies to the next jobs).
    await boss.createQueue(QUEUE, { name: QUEUE, policy: "standard" });
    const store = new PgBossStore(boss, opts);
    if (opts.runsJobs) await store.openSession();
    return store;
  }

  /**
   * The connection holding the per-installation locks and listening for enqueues elsewhere. When it drops (a database
   * restart), its locks are gone with it: the next claim opens a new one.
   */
  private async openSession(): Promise<pg.Client> {
    const session = new pg.Client({ connectionString: this.opts.connectionString, application_name: SESSION_NAME });
    session.on("error", (error) => this.opts.log.error({ err: error }, "queue session to PostgreSQL failed"));
    session.on("end", () => {
      if (this.session !== session) return;
      this.session = undefined;
      this.slots.clear();
      if (!this.closed) this.opts.log.warn({}, "queue session to PostgreSQL ended; a new one opens at the next claim");
    });
    session.on("notification", () => {
      for (const listener of this.listeners) listener();
    });
    await session.connect();
    await session.query(`LISTEN ${CHANNEL}`);
    this.session = session;
    return session;
  }

  private sql<T>(text: string, values: unknown[] = []): Promise<{ rows: T[] }> {
    return this.boss.getDb().executeSql(text, values) as Promise<{ rows: T[] }>;
  }

  async enqueue(job: NewJob): Promise<EnqueueResult> {
    const id = jobIdOf(job.dedupeKey);
    const data: JobData = {
      kind: job.kind,
      installationId: job.installationId,
      repository: job.repository,
      deliveryId: job.deliveryId ?? null,
      payload: job.payload,
    };
    const created = await this.boss.send(QUEUE, data as object, {
      id,
      retryLimit: Math.max(0, (job.maxAttempts ?? DEFAULT_JOB_ATTEMPTS) - 1),
      retryDelay: this.opts.retryDelaySeconds ?? PG_BOSS_RETRY_DELAY_S,
      retryBackoff: true,
      expireInSeconds: Math.max(1, Math.round(this.opts.leaseMs / 1000)),
      ...(job.runAt ? { startAfter: job.runAt } : {}),
    });
    if (created) await this.sql(`SELECT pg_notify('${CHANNEL}', '')`);
    return { created: created !== null, jobId: id };
  }

  onEnqueuedElsewhere(listener: () => void): void {
    this.listeners.push(listener);
  }

  async claim(workerId: string, opts: { perInstallationLimit: number }): Promise<ClaimedJob | null> {
    // Usually the first due job's installation has a free slot; when not, a batch finds one of another installation.
    for (const batchSize of [1, FETCH_BATCH]) {
      const jobs = (await this.boss.fetch<JobData>(QUEUE, {
        batchSize,
        includeMetadata: true,
      })) as PgBoss.JobWithMetadata<JobData>[];
      let chosen: PgBoss.JobWithMetadata<JobData> | undefined;
      const untouched: string[] = [];
      const full: string[] = [];
      try {
        for (const job of jobs) {
          if (chosen) untouched.push(job.id);
          else if (await this.takeSlot(job.id, job.data.installationId, opts.perInstallationLimit)) chosen = job;
          else full.push(job.id);
        }
      } catch (error) {
        // The session failed (the database ended it) before a slot was taken: the jobs fetched are nobody's. Back to
        // the queue now, not once their lease has run out.
        await this.putBack(jobs.map((j) => j.id));
        throw error;
      }
      if (untouched.length > 0) await this.sql(PUT_BACK_SQL, [QUEUE, untouched, null, false, null, null]);
      // A full installation's jobs go to the back of the line, so the next look reaches other installations' jobs.
      if (full.length > 0) await this.sql(PUT_BACK_SQL, [QUEUE, full, null, true, null, null]);
      if (chosen && !(await this.stampHolder(chosen.id, workerId))) chosen = undefined;
      if (chosen)
        return {
          id: chosen.id,
          kind: chosen.data.kind,
          payload: chosen.data.payload,
          attempts: chosen.retryCount + 1,
          maxAttempts: chosen.retryLimit + 1,
          installationId: chosen.data.installationId,
          repository: chosen.data.repository,
          deliveryId: chosen.data.deliveryId,
        };
      if (jobs.length < batchSize) return null; // nothing else is due
    }
    return null;
  }

  /** Writes the claim into the job; false (its slot freed) when the job is not ours, back to the queue on an error. */
  private async stampHolder(id: string, workerId: string): Promise<boolean> {
    let stamped: boolean;
    try {
      const { rows } = await this.sql(
        `UPDATE ${SCHEMA}.job SET data = data || jsonb_build_object('lockedBy', $3::text, 'claimedAt', now())
         WHERE name = $1 AND id = $2::uuid AND state = 'active' RETURNING id`,
        [QUEUE, id, workerId],
      );
      stamped = rows.length > 0;
    } catch (error) {
      await this.putBack([id]);
      await this.freeSlot(id).catch(() => undefined);
      throw error;
    }
    if (!stamped) await this.freeSlot(id); // its lease ran out already
    return stamped;
  }

  /** Claimed jobs nobody will run go back untouched; best effort, on a path that is failing already. */
  private async putBack(ids: string[]): Promise<void> {
    await this.sql(PUT_BACK_SQL, [QUEUE, ids, null, false, null, null]).catch((error: unknown) =>
      this.opts.log.error({ err: error }, "could not put claimed jobs back; they run again once their lease is out"),
    );
  }

  /** One of the installation's `limit` slots, across every replica; none free: false. */
  private async takeSlot(id: JobId, installationId: number, limit: number): Promise<boolean> {
    if (!this.opts.runsJobs) throw new Error("this queue only enqueues: it was opened with runsJobs: false");
    const session = this.session ?? (await this.openSession());
    const key2 = installationId | 0;
    const mine = new Set([...this.slots.values()].filter(([, k]) => k === key2).map(([k]) => k));
    for (let slot = 0; slot < limit; slot++) {
      const key1 = SLOT_KEY + slot;
      // Session locks are re-entrant: a slot this process holds would be granted again.
      if (mine.has(key1)) continue;
      const { rows } = await session.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [key1, key2]);
      if (rows[0]?.ok) {
        this.slots.set(id, [key1, key2]);
        return true;
      }
    }
    return false;
  }

  private async freeSlot(id: JobId): Promise<void> {
    const keys = this.slots.get(id);
    if (!keys) return;
    this.slots.delete(id);
    await this.session?.query("SELECT pg_advisory_unlock($1, $2)", keys);
  }

  async complete(workerId: string, job: HeldJob): Promise<boolean> {
    // `data` before the options, whatever the typings' overloads say: pg-boss 10 would take `{ db }` for the output
    // and complete on its own pool, behind the row lock held here.
    return this.asHolder(workerId, job, (db) => this.boss.complete(QUEUE, String(job.id), {}, { db }));
  }

  async retry(
    workerId: string,
    job: HeldJob,
    error: string,
    runAt: Date,
    opts: { countAttempt?: boolean } = {},
  ): Promise<boolean> {
    if (opts.countAttempt !== false)
      // pg-boss's own delay (exponential, jittered)
      return this.asHolder(workerId, job, (db) => this.boss.fail(QUEUE, String(job.id), { message: error }, { db }));
    try {
      const { rows } = await this.sql(`${PUT_BACK_SQL} RETURNING id`, [
        QUEUE,
        [String(job.id)],
        runAt,
        false,
        workerId,
        job.attempts - 1,
      ]);
      return rows.length > 0;
    } finally {
      await this.freeSlot(job.id);
    }
  }

  async kill(workerId: string, job: HeldJob, error: string): Promise<boolean> {
    return this.asHolder(workerId, job, async (db) => {
      await db.executeSql(`UPDATE ${SCHEMA}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2::uuid`, [
        QUEUE,
        String(job.id),
      ]);
      await this.boss.fail(QUEUE, String(job.id), { message: error }, { db });
    });
  }

  /**
   * Records an outcome with pg-boss's own statements, in a transaction that first locks the job's row as this claim
   * left it: neither the maintenance's expiry nor another replica can change it in between. Not held: false, nothing
   * changed. The installation's slot is this process's either way, and is freed.
   */
  private async asHolder(
    workerId: string,
    job: HeldJob,
    record: (db: PgBoss.Db) => Promise<unknown>,
  ): Promise<boolean> {
    try {
      this.outcomes ??= this.openOutcomes();
      const client = await this.outcomes.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const { rows } = await client.query(`SELECT 1 FROM ${SCHEMA}.job WHERE ${HELD_SQL} FOR UPDATE`, [
          QUEUE,
          String(job.id),
          workerId,
          job.attempts - 1,
        ]);
        if (rows.length === 0) {
          await client.query("ROLLBACK");
          return false;
        }
        await record({ executeSql: (text, values) => client.query(text, values) });
        await client.query("COMMIT");
        return true;
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release(broken); // a connection that failed mid-transaction is not reused
      }
    } finally {
      await this.freeSlot(job.id);
    }
  }

  private openOutcomes(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.opts.connectionString,
      application_name: "ci-medic queue outcomes",
      max: 2,
      idleTimeoutMillis: 30_000,
      // A transaction waiting on something that waits for its row lock would hold the job for ever: the server ends it.
      idle_in_transaction_session_timeout: 30_000,
    });
    pool.on("error", (error) => this.opts.log.error({ err: error }, "queue connection to PostgreSQL failed"));
    return pool;
  }

  async release(workerId: string): Promise<number> {
    const ids = [...this.slots.keys()].map(String);
    if (ids.length === 0) return 0;
    const { rows } = await this.sql<{ id: string }>(`${PUT_BACK_SQL} RETURNING id`, [
      QUEUE,
      ids,
      null,
      false,
      workerId,
      null,
    ]);
    for (const id of ids) await this.freeSlot(id);
    return rows.length;
  }

  async renew(workerId: string, ids: JobId[]): Promise<void> {
    if (ids.length === 0) return;
    // Only the jobs this worker still holds: renewing another replica's would keep a lease alive for the wrong one.
    await this.sql(
      `UPDATE ${SCHEMA}.job SET started_on = now()
       WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active' AND data->>'lockedBy' = $3`,
      [QUEUE, ids.map(String), workerId],
    );
  }

  /** pg-boss's maintenance expires the leases (`expireInSeconds`) and retries those jobs. */
  async recoverStale(): Promise<number> {
    return 0;
  }

  async counts(): Promise<Record<JobState, number>> {
    const { rows } = await this.sql<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM ${SCHEMA}.job WHERE name = $1 GROUP BY state`,
      [QUEUE],
    );
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    const ours: Record<string, JobState> = {
      created: "queued",
      retry: "queued",
      active: "running",
      completed: "done",
      failed: "dead",
      cancelled: "dead",
    };
    for (const row of rows) {
      const state = ours[row.state];
      if (state) counts[state] += Number(row.n);
    }
    return counts;
  }

  /** Finished jobs may have been archived by pg-boss: both tables. */
  async recordedDeliveries(deliveryIds: string[]): Promise<Set<string>> {
    const { rows } = await this.sql<{ id: string }>(
      `SELECT data->>'deliveryId' AS id FROM ${SCHEMA}.job WHERE name = $1 AND data->>'deliveryId' = ANY($2::text[])
       UNION SELECT data->>'deliveryId' FROM ${SCHEMA}.archive WHERE name = $1 AND data->>'deliveryId' = ANY($2::text[])`,
      [QUEUE, deliveryIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  async nextRunAt(): Promise<Date | null> {
    const { rows } = await this.sql<{ at: Date | null }>(
      `SELECT min(start_after) AS at FROM ${SCHEMA}.job WHERE name = $1 AND state < 'active'`,
      [QUEUE],
    );
    return rows[0]?.at ?? null;
  }

  async health(limits: HealthLimits = {}): Promise<QueueHealth> {
    const now = limits.now?.() ?? new Date();
    const maxWaitMs = limits.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const waitingSince = new Date(now.getTime() - maxWaitMs);
    const { rows: waiting } = await this.sql<{ at: Date | null }>(
      `SELECT min(start_after) AS at FROM ${SCHEMA}.job WHERE name = $1 AND state < 'active' AND start_after < $2`,
      [QUEUE, waitingSince],
    );
    const due = waiting[0]?.at;
    // Asked only once a job is due, as the SQLite store does: it parses every job's data, so on each /readyz probe it
    // would read the whole queue.
    if (due && !(await this.movedSince(waitingSince)))
      return { wedged: true, detail: waitingDetail(now.getTime() - due.getTime(), maxWaitMs) };
    // A running job's lease is renewed while it runs, and maintenance retries it once it runs out: a lease long past
    // its end means no replica runs maintenance.
    const { rows: expired } = await this.sql<{ at: Date | null }>(
      `SELECT min(started_on + expire_in) AS at FROM ${SCHEMA}.job
       WHERE name = $1 AND state = 'active' AND started_on + expire_in < $2`,
      [QUEUE, new Date(now.getTime() - (limits.maxRunMs ?? DEFAULT_MAX_RUN_MS))],
    );
    const lapsed = expired[0]?.at;
    if (lapsed)
      return {
        wedged: true,
        detail: `a job's lease ran out ${Math.round((now.getTime() - lapsed.getTime()) / 60_000)} min ago`,
      };
    return { wedged: false };
  }

  /**
   * A job was claimed or finished at `since` or later, so a long backlog still moves. `claimedAt` is written at claim
   * time and kept through retries; `started_on` would not do, it moves with every lease renewal.
   */
  private async movedSince(since: Date): Promise<boolean> {
    const { rows } = await this.sql(
      `SELECT 1 FROM ${SCHEMA}.job WHERE name = $1
         AND (completed_on >= $2 OR (data->>'claimedAt')::timestamptz >= $2) LIMIT 1`,
      [QUEUE, since],
    );
    return rows.length > 0;
  }

  async purge(before: Date): Promise<number> {
    let deleted = 0;
    for (const table of ["job", "archive"]) {
      const { rows } = await this.sql<{ n: string }>(
        `WITH gone AS (DELETE FROM ${SCHEMA}.${table} WHERE name = $1
           AND state IN ('completed', 'failed', 'cancelled') AND completed_on < $2 RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [QUEUE, before],
      );
      deleted += Number(rows[0]?.n ?? 0);
    }
    return deleted;
  }

  /** pg-boss's cron: each tick becomes one job, taken by one replica. */
  async schedule(tasks: ScheduledTask[], log: { error(obj: object, msg: string): void }) {
    for (const task of tasks) {
      const name = `ci-medic-${task.name}`;
      await this.boss.createQueue(name, { name, policy: "standard", retryLimit: 0 });
      await this.boss.schedule(name, task.cron, undefined, { tz: "UTC" });
      await this.boss.work(name, { pollingIntervalSeconds: 10 }, async () => {
        try {
          await task.run();
        } catch (error) {
          log.error({ err: error, task: task.name }, "scheduled task failed");
          throw error;
        }
      });
      this.stopWork.push(() => this.boss.offWork(name));
    }
    return async () => {
      await Promise.all(this.stopWork.splice(0).map((stop) => stop()));
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.slots.clear(); // the session's end frees them
    await this.boss.stop({ graceful: true, wait: true, timeout: 5_000 });
    await this.session?.end();
    this.session = undefined;
    await this.outcomes?.end();
    this.outcomes = undefined;
  }
}
