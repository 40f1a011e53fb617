import { ProbotOctokit, run } from "probot";
import { createApp } from "./app/index.js";
import { enableWal } from "./db/client.js";
import { migrateDeploy } from "./db/migrate.js";
import { readDotEnv, validateEnv } from "./env.js";
import { githubMetricsPlugin } from "./observability/github-metrics.js";
import { createMetrics } from "./observability/metrics.js";

// `npm start`: validate the environment, apply migrations, start Probot (or its manifest flow when no APP_ID is set),
// and shut down gracefully on SIGTERM/SIGINT: stop taking webhooks, let running jobs finish, release the rest.
// This thread acknowledges webhooks and serves /metrics and the health routes; the jobs run in a worker thread of
// their own (src/app/job-thread.ts) unless WORKER_MODE=in-process.

async function main(): Promise<void> {
  // Probot's run() lets `.env` override the environment: validate what it will see.
  const env = validateEnv({ ...process.env, ...readDotEnv() });
  if (!env.ok) {
    console.error(`ci-medic cannot start:\n${env.errors.map((e) => `  - ${e}`).join("\n")}`);
    process.exit(1);
  }
  const { databaseUrl } = env.value;
  process.env.DATABASE_URL = databaseUrl;
  await migrateDeploy(databaseUrl, { log: (text) => console.info(text) });
  await enableWal(databaseUrl);

  let jobCounts: () => Promise<Record<string, number>> = async () => ({});
  const metrics = createMetrics({ jobCounts: () => jobCounts() });
  let shutdown: (signal: string, exitCode?: number) => Promise<void> = async () => process.exit(1);
  const { logLevel, logFormat, workerMode } = env.value;
  const handle = createApp({
    settings: env.settings,
    metrics,
    metricsToken: env.value.metricsToken,
    databaseUrl,
    // A job thread that keeps crashing: exit non-zero (after a graceful stop of the rest) so the supervisor restarts us.
    ...(workerMode === "thread"
      ? { jobThread: { logLevel, logFormat, onGiveUp: () => void shutdown("job thread crash loop", 1) } }
      : {}),
  });
  const server = await run(handle.appFn, { Octokit: ProbotOctokit.plugin(githubMetricsPlugin(metrics)) });
  const runtime = () => {
    try {
      return handle.runtime();
    } catch {
      return undefined; // setup mode (manifest flow): the app is not loaded until the App is registered
    }
  };
  const rt = runtime();
  if (rt) jobCounts = () => rt.queue.counts();

  let stopping = false;
  shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    const log = rt?.log ?? { info: console.info, error: console.error };
    log.info({ signal }, "shutting down: no new webhooks, finishing running jobs");
    try {
      await server.stop();
      if (rt) {
        await rt.housekeeping?.stop();
        await rt.worker.stop(env.settings.shutdownDeadlineMs);
        await rt.queue.close();
        await rt.db.$disconnect();
      }
      log.info({ signal }, "stopped");
      process.exit(exitCode);
    } catch (error) {
      log.error({ err: error }, "error while shutting down");
      process.exit(1);
    }
  };
  // Probot's own SIGINT handler exits before our jobs are released.
  process.removeAllListeners("SIGINT");
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("ci-medic failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
