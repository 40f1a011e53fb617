import type { ApplicationFunction } from "probot";
import { run } from "probot";
import { createApp } from "./app/index.js";
import { enableWal } from "./db/client.js";
import { migrateDeploy } from "./db/migrate.js";
import { effectiveEnv, readDotEnv, validateEnv } from "./env.js";
import { githubClientOptions } from "./github/client.js";
import { createLog } from "./observability/log.js";
import { createMetrics } from "./observability/metrics.js";
import { type RecoverySchedule, scheduleDeliveryRecovery } from "./recovery/schedule.js";

// `npm start`: validate the environment, apply migrations, start Probot (or its manifest flow when no APP_ID is set),
// and shut down gracefully on SIGTERM/SIGINT: let running jobs finish while webhooks are still recorded, then close.
// This thread acknowledges webhooks and serves /metrics and the health routes; the jobs run in a worker thread of
// their own (src/app/job-thread.ts) unless WORKER_MODE=in-process.

async function main(): Promise<void> {
  // The process environment wins and `.env` fills the gaps (the convention of dotenv, Docker and systemd); matching
  // quotes around a value (which `docker run --env-file` keeps) are removed.
  const merged = effectiveEnv(process.env, readDotEnv());
  const env = validateEnv(merged);
  if (!env.ok) {
    console.error(`ci-medic cannot start:\n${env.errors.map((e) => `  - ${e}`).join("\n")}`);
    process.exit(1);
  }
  const { databaseUrl } = env.value;
  // Resolved once (absolute): the migration step and the app open the same file whatever the working directory.
  const effective = { ...merged, DATABASE_URL: databaseUrl };
  Object.assign(process.env, effective);
  await migrateDeploy(databaseUrl, { log: (text) => console.info(text) });
  await enableWal(databaseUrl);

  let jobCounts: () => Promise<Record<string, number>> = async () => ({});
  const metrics = createMetrics({ jobCounts: () => jobCounts() });
  let shutdown: (signal: string, exitCode?: number) => Promise<void> = async () => process.exit(1);
  let stopping = false;
  const { logLevel, logFormat, workerMode } = env.value;
  const handle = createApp({
    settings: env.settings,
    metrics,
    metricsToken: env.value.metricsToken,
    databaseUrl,
    stopping: () => stopping,
    // A job thread that keeps crashing: exit non-zero (after a graceful stop of the rest) so the supervisor restarts us.
    ...(workerMode === "thread"
      ? { jobThread: { logLevel, logFormat, onGiveUp: () => void shutdown("job thread crash loop", 1) } }
      : {}),
  });
  // Probot's run() copies `.env` over process.env before it loads the app: put the operator's environment back
  // before the job thread (which gets a copy of process.env) and the LLM provider read it.
  const appFn: ApplicationFunction = (app, options) => {
    Object.assign(process.env, effective);
    return handle.appFn(app, options);
  };
  // Probot's logger, with request headers censored and error texts scrubbed (src/observability/log.ts).
  const log = await createLog({
    level: logLevel,
    logFormat,
    logLevelInString: process.env.LOG_LEVEL_IN_STRING === "true",
    logMessageKey: process.env.LOG_MESSAGE_KEY,
    sentryDsn: process.env.SENTRY_DSN,
  });
  const server = await run(appFn, { env: effective, Octokit: githubClientOptions(metrics).Octokit, log });
  const runtime = () => {
    try {
      return handle.runtime();
    } catch {
      return undefined; // setup mode (manifest flow): the app is not loaded until the App is registered
    }
  };
  const rt = runtime();
  if (rt) jobCounts = () => rt.queue.counts();
  // Now that webhooks are answered: ask GitHub for the deliveries that failed while we were away, and every 10 min.
  let recovery: RecoverySchedule | undefined;
  if (rt) recovery = scheduleDeliveryRecovery({ queue: rt.queue, wake: () => rt.worker.wake(), log: rt.log });

  shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    const log = rt?.log ?? { info: console.info, error: console.error };
    log.info({ signal }, "shutting down: finishing running jobs; webhooks are still recorded until the jobs are done");
    try {
      recovery?.stop();
      if (rt) {
        await rt.housekeeping?.stop();
        await rt.worker.stop(env.settings.shutdownDeadlineMs);
      }
      // From here a delivery finds the port closed: GitHub marks it failed and the next start's recovery asks again.
      await server.stop();
      if (rt) {
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
