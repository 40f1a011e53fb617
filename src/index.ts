import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import { createDb, DEFAULT_DATABASE_URL, tuneDb, type Db } from "./db/client.js";
import { SqliteQueue } from "./queue/sqlite-queue.js";
import { Worker } from "./queue/worker.js";
import { DEFAULT_SETTINGS, type Runtime, type Settings } from "./runtime.js";
import { registerWebhooks } from "./webhooks/register.js";
import { jobHandlers } from "./jobs/register.js";
import type { LlmProvider } from "./diagnosis/llm/provider.js";
import { createProviderFromEnv } from "./diagnosis/llm/from-env.js";
import { scheduleHousekeeping } from "./housekeeping/schedule.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { registerRoutes } from "./observability/routes.js";
import { databaseCheck, migrationsCheck, queueCheck } from "./observability/readiness.js";
import { llmMetrics, workerMetrics } from "./observability/observers.js";
import { eventLoopGuard } from "./queue/load-guard.js";

export interface AppDeps {
  db?: Db;
  databaseUrl?: string;
  /** `null` forces "no LLM"; undefined reads the environment. */
  llm?: LlmProvider | null;
  settings?: Partial<Settings>;
  /** Created by the server before Probot starts, so its Octokit plugin can count GitHub errors. */
  metrics?: Metrics;
  metricsToken?: string;
  /** Tests drive the worker with `runUntilIdle()` instead. */
  startWorker?: boolean;
  pollMs?: number;
}

export interface CiMedicApp {
  appFn: ApplicationFunction;
  /** Available once the app function has been loaded. */
  runtime(): Runtime;
}

export function createApp(deps: AppDeps = {}): CiMedicApp {
  let runtime: Runtime | undefined;
  const appFn = async (app: Probot, options: ApplicationFunctionOptions) => {
    const databaseUrl = deps.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const db = deps.db ?? createDb(databaseUrl);
    await tuneDb(db);
    const queue = new SqliteQueue(db);
    const settings: Settings = { ...DEFAULT_SETTINGS, ...deps.settings };
    const metrics = deps.metrics ?? createMetrics({ jobCounts: () => queue.counts(), defaultMetrics: false });
    let slug: Promise<string | undefined> | undefined;
    const rt: Runtime = {
      app,
      db,
      queue,
      settings,
      metrics,
      llm: deps.llm === null ? undefined : (deps.llm ?? createProviderFromEnv(process.env, { observer: llmMetrics(metrics) })),
      log: app.log,
      worker: undefined as unknown as Worker,
      appSlug() {
        if (settings.appSlug) return Promise.resolve(settings.appSlug);
        slug ??= app
          .auth()
          .then((octokit) => octokit.rest.apps.getAuthenticated())
          .then((res) => res.data?.slug)
          .catch((error: unknown) => {
            app.log.warn({ err: error }, "could not look up the App's slug; its own runs are recognised by branch only");
            slug = undefined;
            return undefined;
          });
        return slug;
      },
    };
    rt.worker = new Worker({
      queue,
      handlers: jobHandlers(rt),
      log: app.log,
      concurrency: settings.workerConcurrency,
      perInstallationLimit: settings.perInstallationConcurrency,
      pollMs: deps.pollMs,
      observer: workerMetrics(metrics),
      busy: deps.startWorker === false ? undefined : eventLoopGuard().busy,
    });
    registerWebhooks(app, rt);
    try {
      registerRoutes(options, {
        metrics,
        checkDatabase: databaseCheck(db, databaseUrl),
        checkMigrations: migrationsCheck(db),
        checkQueue: queueCheck(db),
        metricsToken: deps.metricsToken,
        log: app.log,
      });
    } catch (error) {
      // `probot.load()` without Probot's HTTP server (tests, scripts) has nowhere to serve the routes from.
      app.log.debug({ err: error }, "no HTTP server: /healthz, /readyz and /metrics are not served");
    }
    runtime = rt;
    if (deps.startWorker !== false) {
      rt.worker.start().catch((error: unknown) => app.log.error({ err: error }, "the job worker could not start"));
      rt.housekeeping = scheduleHousekeeping({ db, queue, retentionDays: settings.retentionDays, log: app.log });
    }
  };
  return {
    appFn,
    runtime() {
      if (!runtime) throw new Error("the app function has not been loaded yet");
      return runtime;
    },
  };
}

const ciMedic: ApplicationFunction = (app, options) => createApp().appFn(app, options);
export default ciMedic;
