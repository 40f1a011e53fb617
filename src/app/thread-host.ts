import { Worker as Thread } from "node:worker_threads";
import type { MetricsJson } from "../observability/metrics.js";
import type { JobRunner } from "../runtime.js";
import type { FromJobThread, JobThreadData, ToJobThread } from "./thread-protocol.js";

interface HostLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ThreadHostOptions {
  data: JobThreadData;
  log: HostLog;
  /** The thread's entry module; job-thread.js next to this file by default (tests give a stand-in). */
  entry?: URL;
  /** After this many crashes within `crashWindowMs` the host gives up (`onGiveUp`) instead of restarting. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Wait before the n-th restart in the window (1 s, 2 s, 4 s … up to 30 s by default). */
  restartDelayMs?: (crashes: number) => number;
  /** The thread keeps crashing: the server shuts down with a non-zero exit code so that its supervisor steps in. */
  onGiveUp?: (error: unknown) => void;
  /** A scrape does not wait longer than this for the thread's metrics (it then shows the main thread's only). */
  metricsTimeoutMs?: number;
  /** After the shutdown deadline, how long the thread gets to release its jobs before it is terminated. */
  stopGraceMs?: number;
}

/**
 * The main thread's side of the job thread (job-thread.ts): starts it, wakes it after an enqueue, asks it for its
 * metrics on a scrape, stops it gracefully, and restarts it when it crashes. A job the crashed thread was running is
 * still "running" in the database; it runs again once its lease is out (JOB_LEASE_SECONDS), here or on a replica.
 */
export class ThreadHost implements JobRunner {
  private thread: Thread | undefined;
  private lastError: unknown;
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wakeQueued = false;
  private nextId = 0;
  private readonly pending = new Map<number, (metrics: MetricsJson) => void>();

  constructor(private readonly opts: ThreadHostOptions) {}

  start(): void {
    if (this.thread || this.stopping) return;
    const entry = this.opts.entry ?? new URL("./job-thread.js", import.meta.url);
    // `env` defaults to a copy of process.env (with what Probot read from .env): the secrets stay out of workerData.
    const thread = new Thread(entry, { workerData: this.opts.data });
    this.thread = thread;
    this.lastError = undefined;
    thread.on("message", (message: FromJobThread) => this.onMessage(message));
    thread.on("error", (error) => {
      this.lastError = error;
    });
    thread.on("exit", (code) => this.onExit(thread, code));
  }

  /** Coalesced: a burst of enqueues in one turn of the event loop is one message. */
  wake(): void {
    if (!this.thread || this.stopping || this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.post({ type: "wake" });
    });
  }

  /** The thread's registry as JSON, or nothing when it is down or slow to answer (the scrape must not hang). */
  metrics(): Promise<MetricsJson> {
    if (!this.thread) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish([]), this.opts.metricsTimeoutMs ?? 2_000);
      const finish = (metrics: MetricsJson) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(metrics);
      };
      this.pending.set(id, finish);
      this.post({ type: "metrics", id });
    });
  }

  /** Asks the thread to stop its worker (finish running jobs until the deadline, release the rest) and waits for it. */
  stop(deadlineMs = 25_000): Promise<void> {
    this.stopped ??= this.stopThread(deadlineMs);
    return this.stopped;
  }

  private async stopThread(deadlineMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
    this.post({ type: "stop", deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs + (this.opts.stopGraceMs ?? 10_000));
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      this.opts.log.error(
        { deadlineMs },
        "the job thread did not stop in time; terminating it (its jobs run again once their leases are out)",
      );
      await thread.terminate();
    }
  }

  private post(message: ToJobThread): void {
    this.thread?.postMessage(message);
  }

  private onMessage(message: FromJobThread): void {
    switch (message.type) {
      case "ready":
        this.opts.log.info(
          { threadId: this.thread?.threadId, concurrency: this.opts.data.settings.workerConcurrency },
          "job thread started",
        );
        return;
      case "metrics":
        this.pending.get(message.id)?.(message.metrics);
        return;
      case "stopped":
        // The thread ends on its own once its port is closed; a lingering handle (a keep-alive socket) must not
        // hold the shutdown.
        setTimeout(() => void this.thread?.terminate(), 1_000).unref();
        return;
    }
  }

  private onExit(thread: Thread, code: number): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    for (const finish of [...this.pending.values()]) finish([]);
    if (this.stopping) {
      if (this.lastError)
        this.opts.log.error({ err: this.lastError, exitCode: code }, "the job thread failed while stopping");
      return;
    }
    const error = this.lastError ?? new Error(`the job thread exited with code ${code}`);
    const now = Date.now();
    const window = this.opts.crashWindowMs ?? 10 * 60_000;
    this.crashes = [...this.crashes.filter((t) => now - t < window), now];
    if (this.crashes.length >= (this.opts.maxCrashes ?? 5)) {
      this.opts.log.error(
        { err: error, exitCode: code, crashes: this.crashes.length },
        "the job thread keeps crashing; giving up",
      );
      this.opts.onGiveUp?.(error);
      return;
    }
    const delay = (this.opts.restartDelayMs ?? ((n) => Math.min(30_000, 1_000 * 2 ** (n - 1))))(this.crashes.length);
    this.opts.log.error({ err: error, exitCode: code, restartInMs: delay }, "the job thread crashed; restarting it");
    this.restartTimer = setTimeout(() => this.start(), delay);
  }
}
