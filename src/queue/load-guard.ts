import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * The worker shares the process with the webhook server: while the event loop is slow (a burst of webhooks), new jobs
 * wait a little, so GitHub's deliveries are acknowledged first. Running jobs are never paused.
 */
export function eventLoopGuard(opts: { maxDelayMs?: number; windowMs?: number } = {}): {
  busy(): boolean;
  stop(): void;
} {
  const maxNs = (opts.maxDelayMs ?? 15) * 1e6;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let busy = false;
  const timer = setInterval(() => {
    busy = histogram.percentile(99) > maxNs;
    histogram.reset();
  }, opts.windowMs ?? 250);
  timer.unref();
  return {
    busy: () => busy,
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
