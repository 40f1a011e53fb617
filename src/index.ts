import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import { createDb, type Db } from "./db/client.js";
import { SqliteQueue } from "./queue/sqlite-queue.js";
import { Worker } from "./queue/worker.js";
import { DEFAULT_SETTINGS, type Runtime, type Settings } from "./runtime.js";
import { registerWebhooks } from "./webhooks/register.js";
import { jobHandlers } from "./jobs/register.js";
import type { LlmProvider } from "./diagnosis/llm/provider.js";
import { createProviderFromEnv } from "./diagnosis/llm/from-env.js";
import { scheduleHousekeeping } from "./housekeeping/schedule.js";

export interface AppDeps {
  db?: Db;
  /** `null` forces "no LLM"; undefined reads the environment. */
  llm?: LlmProvider | null;
  settings?: Partial<Settings>;
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
  const appFn = (app: Probot, _options: ApplicationFunctionOptions) => {
    const db = deps.db ?? createDb();
    const queue = new SqliteQueue(db);
    const settings: Settings = { ...DEFAULT_SETTINGS, ...deps.settings };
    let slug: Promise<string | undefined> | undefined;
    const rt: Runtime = {
      app,
      db,
      queue,
      settings,
      llm: deps.llm === null ? undefined : (deps.llm ?? createProviderFromEnv(process.env)),
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
    });
    registerWebhooks(app, rt);
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
