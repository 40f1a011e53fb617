import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import { createDb, type Db, DEFAULT_DATABASE_URL, disableAutoCheckpoint, tuneDb } from "../db/client.js";
import { createProviderFromEnv } from "../diagnosis/llm/from-env.js";
import type { LlmProvider } from "../diagnosis/llm/provider.js";
import { scheduleHousekeeping } from "../housekeeping/schedule.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import { llmMetrics } from "../observability/observers.js";
import { databaseCheck, migrationsCheck, migrationsDirOf, queueCheck } from "../observability/readiness.js";
import { registerRoutes } from "../observability/routes.js";
import { openQueue } from "../queue/engine.js";
import { eventLoopGuard } from "../queue/load-guard.js";
import type { Worker } from "../queue/worker.js";
import { DEFAULT_SETTINGS, type Runtime, type Settings } from "../runtime.js";
import { registerWebhooks } from "../webhooks/register.js";
import { createJobWorker, createRuntime } from "./create-runtime.js";
import { ThreadHost, type ThreadHostOptions } from "./thread-host.js";
import type { JobThreadData } from "./thread-protocol.js";

export interface AppDeps {
  /** Given without `databaseUrl`, every query (the webhooks' enqueue too) goes through this client. */
  db?: Db;
  databaseUrl?: string;
  /** `null` forces "no LLM"; undefined reads the environment. */
  llm?: LlmProvider | null;
  settings?: Partial<Settings>;
  /** Created by the server before Probot starts, so its Octokit plugin can count GitHub errors. */
  metrics?: Metrics;
  metricsToken?: string;
  /** True while the server drains (SIGTERM): /readyz answers 503, webhooks are still recorded. */
  stopping?: () => boolean;
  /** Tests drive the worker with `runUntilIdle()` instead. */
  startWorker?: boolean;
  pollMs?: number;
  /**
   * The server: jobs run in a worker thread with a runtime of its own (src/app/job-thread.ts), this thread only
   * acknowledges webhooks. Without it, the worker runs in this thread (tests, `WORKER_MODE=in-process`).
   */
  jobThread?: Pick<JobThreadData, "logLevel" | "logFormat"> & Pick<ThreadHostOptions, "onGiveUp">;
}

export interface CiMedicApp {
  appFn: ApplicationFunction;
  /** Available once the app function has been loaded. */
  runtime(): Runtime;
  /** The in-process worker (not with `jobThread`): tests run it with `runUntilIdle()`. */
  worker(): Worker;
}

export function createApp(deps: AppDeps = {}): CiMedicApp {
  let runtime: Runtime | undefined;
  let worker: Worker | undefined;
  let host: ThreadHost | undefined;
  const appFn = async (app: Probot, options: ApplicationFunctionOptions) => {
    const databaseUrl = deps.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const thread = deps.jobThread;
    const db = deps.db ?? createDb(databaseUrl);
    await tuneDb(db);
    if (thread) await disableAutoCheckpoint(db);
    const settings: Settings = { ...DEFAULT_SETTINGS, ...deps.settings };
    let jobCounts = async (): Promise<Record<string, number>> => ({});
    const metrics = deps.metrics ?? createMetrics({ jobCounts: () => jobCounts(), defaultMetrics: false });
    // With a job thread, this thread runs no job: no LLM provider here, the thread has its own.
    const llm =
      thread || deps.llm === null
        ? undefined
        : (deps.llm ?? createProviderFromEnv(process.env, { observer: llmMetrics(metrics) }));
    const queue = await openQueue({
      databaseUrl,
      db,
      runsJobs: !thread,
      leaseMs: settings.jobLeaseMs,
      retentionDays: settings.retentionDays,
      log: app.log,
      // SQLite: the webhooks' INSERT on a connection of its own, without Prisma, when the database is known by its URL.
      directEnqueue: deps.db && !deps.databaseUrl ? undefined : { autoCheckpoint: !thread },
    });
    const rt = createRuntime({ app, db, settings, metrics, llm, queue }, (rt) => {
      if (thread) {
        const jobs = new ThreadHost({
          data: { databaseUrl, settings, logLevel: thread.logLevel, logFormat: thread.logFormat },
          log: app.log,
          ...(thread.onGiveUp ? { onGiveUp: thread.onGiveUp } : {}),
        });
        metrics.mergeFrom(() => jobs.metrics());
        host = jobs;
        return jobs;
      }
      // In process, jobs share this event loop with the webhooks: no new job while it is slow (load-guard.ts).
      worker = createJobWorker(rt, {
        pollMs: deps.pollMs,
        busy: deps.startWorker === false ? undefined : eventLoopGuard().busy,
      });
      return worker;
    });
    jobCounts = () => rt.queue.counts();
    registerWebhooks(app, rt);
    try {
      registerRoutes(options, {
        metrics,
        checkDatabase: databaseCheck(db, databaseUrl),
        checkMigrations: migrationsCheck(db, migrationsDirOf(databaseUrl)),
        checkQueue: queueCheck(rt.queue),
        metricsToken: deps.metricsToken,
        ...(deps.stopping ? { stopping: deps.stopping } : {}),
        log: app.log,
      });
    } catch (error) {
      // `probot.load()` without Probot's HTTP server (tests, scripts) has nowhere to serve the routes from.
      app.log.debug({ err: error }, "no HTTP server: /healthz, /readyz and /metrics are not served");
    }
    runtime = rt;
    if (deps.startWorker !== false) {
      // With a job thread, housekeeping runs there: a purge or VACUUM must not hold up acknowledgements.
      if (host) host.start();
      else {
        worker?.start().catch((error: unknown) => app.log.error({ err: error }, "the job worker could not start"));
        rt.housekeeping = await scheduleHousekeeping({
          db,
          queue: rt.queue,
          retentionDays: settings.retentionDays,
          jobLeaseMs: settings.jobLeaseMs,
          log: app.log,
        });
      }
    }
  };
  return {
    appFn,
    runtime() {
      if (!runtime) throw new Error("the app function has not been loaded yet");
      return runtime;
    },
    worker() {
      if (!worker)
        throw new Error(
          runtime ? "the jobs run in the job thread, not in this one" : "the app function has not been loaded yet",
        );
      return worker;
    },
  };
}

const ciMedic: ApplicationFunction = (app, options) => createApp().appFn(app, options);
export default ciMedic;
