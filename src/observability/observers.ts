import type { LlmObserver } from "../diagnosis/llm/resilient.js";
import type { WorkerObserver } from "../queue/worker.js";
import type { Metrics } from "./metrics.js";

/** Job outcomes and durations, and the time spent waiting for GitHub's rate limits. */
export function workerMetrics(metrics: Metrics): WorkerObserver {
  return {
    onJobFinished(job, outcome, durationMs, retryAt) {
      metrics.jobDuration.observe({ kind: job.kind, outcome }, durationMs / 1000);
      if (outcome === "wait" && retryAt) {
        metrics.rateLimitWaits.inc();
        metrics.rateLimitWaitSeconds.inc(Math.max(0, (retryAt.getTime() - Date.now()) / 1000));
      }
    },
  };
}

/** Every LLM attempt by model and outcome, with tokens and latency. */
export function llmMetrics(metrics: Metrics): LlmObserver {
  return {
    onCall(model, outcome, latencyMs, tokens) {
      metrics.llmCalls.inc({ model, outcome });
      metrics.llmLatency.observe({ model, outcome }, latencyMs / 1000);
      if (tokens.prompt > 0) metrics.llmTokens.inc({ model, direction: "input" }, tokens.prompt);
      if (tokens.output > 0) metrics.llmTokens.inc({ model, direction: "output" }, tokens.output);
    },
  };
}
