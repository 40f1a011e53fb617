import type { Probot } from "probot";
import type { Db } from "../db/client.js";
import type { LlmProvider } from "../diagnosis/llm/provider.js";
import { jobHandlers } from "../jobs/register.js";
import type { Metrics } from "../observability/metrics.js";
import { workerMetrics } from "../observability/observers.js";
import type { QueueEngine } from "../queue/engine.js";
import type { Worker } from "../queue/worker.js";
import type { JobRunner, Runtime, Settings } from "../runtime.js";

// The one place a Runtime is put together: by the app function (src/app/index.ts) for the webhook handlers (and, in
// process, for the jobs), and by the job thread (src/app/job-thread.ts) for the jobs it runs.

export interface RuntimeParts {
  app: Probot;
  db: Db;
  settings: Settings;
  metrics: Metrics;
  llm?: LlmProvider | undefined;
  /** The queue seam on this runtime's database (src/queue/engine.ts). */
  queue: QueueEngine;
}

export function createRuntime(parts: RuntimeParts, runner: (rt: Runtime) => JobRunner): Runtime {
  const { app, settings } = parts;
  let slug: Promise<string | undefined> | undefined;
  const rt: Runtime = {
    app,
    db: parts.db,
    queue: parts.queue,
    settings,
    metrics: parts.metrics,
    ...(parts.llm ? { llm: parts.llm } : {}),
    log: app.log,
    worker: undefined as unknown as JobRunner, // set just below: the runner needs the runtime
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
  rt.worker = runner(rt);
  return rt;
}

/** The job worker for this runtime's queue, with every job kind and the job metrics. */
export function createJobWorker(
  rt: Runtime,
  opts: { pollMs?: number | undefined; busy?: (() => boolean) | undefined } = {},
): Worker {
  return rt.queue.worker({
    handlers: jobHandlers(rt),
    log: rt.log,
    concurrency: rt.settings.workerConcurrency,
    perInstallationLimit: rt.settings.perInstallationConcurrency,
    pollMs: opts.pollMs,
    observer: workerMetrics(rt.metrics),
    busy: opts.busy,
  });
}
