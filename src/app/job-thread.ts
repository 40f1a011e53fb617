import os from "node:os";
import { isMainThread, type MessagePort, parentPort, workerData } from "node:worker_threads";
import { createProbot } from "probot";
import { checkpointEvery, createDb, tuneDb } from "../db/client.js";
import { createProviderFromEnv } from "../diagnosis/llm/from-env.js";
import { githubClientOptions } from "../github/client.js";
import { scheduleHousekeeping } from "../housekeeping/schedule.js";
import { createLog } from "../observability/log.js";
import { createMetrics } from "../observability/metrics.js";
import { llmMetrics } from "../observability/observers.js";
import { openQueue } from "../queue/engine.js";
import type { Worker } from "../queue/worker.js";
import { createJobWorker, createRuntime } from "./create-runtime.js";
import type { FromJobThread, JobThreadData, ToJobThread } from "./thread-protocol.js";

// The job thread of the server (started by thread-host.ts): the same Worker loop and job code as in process, on a
// runtime of its own (Prisma client on the same SQLite file, Probot instance, LLM provider, metrics registry), so
// that jobs' CPU work (Prisma's query compiler, JSON, HTTP) never delays a webhook acknowledgement on the main thread.
// Secrets come from this thread's copy of the environment (Node copies process.env into the thread), as in the main
// thread; workerData carries only what start-up validated.

async function runJobThread(port: MessagePort, data: JobThreadData): Promise<void> {
  const post = (message: FromJobThread) => port.postMessage(message);
  const started = start(data);
  // Listening at once: a message that arrives while the runtime is being built waits for it.
  port.on("message", (message: ToJobThread) => {
    started.then(
      (parts) => handle(parts, message),
      () => undefined, // the start-up error itself ends the thread (and is reported to the host)
    );
  });

  async function handle(
    { worker, db, queue, metrics, stopCheckpoints, housekeeping }: Awaited<typeof started>,
    message: ToJobThread,
  ): Promise<void> {
    switch (message.type) {
      case "wake":
        worker.wake();
        return;
      case "metrics":
        post({ type: "metrics", id: message.id, metrics: await metrics.registry.getMetricsAsJSON() });
        return;
      case "stop":
        stopCheckpoints();
        await housekeeping.stop();
        await worker.stop(message.deadlineMs);
        await queue.close();
        await db.$disconnect();
        post({ type: "stopped" });
        port.close(); // nothing else keeps the thread alive: it ends, and the host sees it exit
        return;
    }
  }

  const { worker } = await started;
  await worker.start();
  post({ type: "ready" });
}

const JOB_THREAD_NICE = 10;

/**
 * On Linux the nice value belongs to the thread (setpriority on "this process" is this thread): the job thread yields
 * the CPU to the webhook thread when both want it. Elsewhere it would lower the whole process, so it is left alone.
 */
function yieldToWebhooks(): void {
  if (process.platform !== "linux") return;
  try {
    os.setPriority(Math.max(os.getPriority(), JOB_THREAD_NICE));
  } catch {
    // not allowed (some containers): the thread keeps the process's priority
  }
}

async function start(data: JobThreadData) {
  yieldToWebhooks();
  const metrics = createMetrics({ defaultMetrics: false }); // process metrics are the main thread's (same process)
  const app = createProbot({
    // APP_ID, PRIVATE_KEY(_PATH), GHE_HOST/GHE_PROTOCOL, LOG_* are read from the environment as Probot's run() reads them.
    overrides: {
      logLevel: data.logLevel,
      logFormat: data.logFormat,
      ...githubClientOptions(metrics),
      log: await createLog({ level: data.logLevel, logFormat: data.logFormat }),
    },
  });
  await app.ready();
  const db = createDb(data.databaseUrl);
  await tuneDb(db);
  const llm = createProviderFromEnv(process.env, { observer: llmMetrics(metrics) });
  const queue = await openQueue({
    databaseUrl: data.databaseUrl,
    db,
    runsJobs: true,
    leaseMs: data.settings.jobLeaseMs,
    retentionDays: data.settings.retentionDays,
    log: app.log,
  });
  let worker!: Worker;
  const rt = createRuntime(
    { app, db, settings: data.settings, metrics, llm, queue },
    (rt) => (worker = createJobWorker(rt, {})),
  );
  // The main thread's connection leaves checkpoints (and their fsync) to this one.
  const stopCheckpoints = checkpointEvery(db, 1_000, rt.log);
  // Off the webhook thread: the nightly purge and weekly VACUUM hold SQLite for as long as they take.
  const housekeeping = await scheduleHousekeeping({
    db,
    queue: rt.queue,
    retentionDays: data.settings.retentionDays,
    jobLeaseMs: data.settings.jobLeaseMs,
    log: rt.log,
  });
  return { worker, db, queue, metrics, stopCheckpoints, housekeeping };
}

if (!isMainThread && parentPort) {
  await runJobThread(parentPort, workerData as JobThreadData);
}
