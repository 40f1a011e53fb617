import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";

// One registry per app instance (not prom-client's global one): tests and a second Probot instance in the same process
// get their own counters instead of "metric already registered" errors.

export type JobCountsSource = () => Promise<Record<string, number>>;

/** A registry's metrics as `registry.getMetricsAsJSON()` gives them (plain data: it crosses threads). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export interface MetricsOptions {
  /** Current number of jobs per queue state, read at every scrape (e.g. `() => queue.counts()`). */
  jobCounts?: JobCountsSource;
  /** Node.js process metrics (memory, event loop lag, ...). Default true. */
  defaultMetrics?: boolean;
  prefix?: string;
}

export interface Metrics {
  registry: Registry;
  /** outcome: e.g. "enqueued", "duplicate", "ignored", "invalid", "error". */
  webhooksReceived: Counter<"event" | "outcome">;
  jobs: Gauge<"state">;
  /** outcome: "done", "retry", "dead". */
  jobDuration: Histogram<"kind" | "outcome">;
  /** outcome: "ok", "invalid_output", "timeout", "error", "budget_exceeded". */
  llmCalls: Counter<"model" | "outcome">;
  /** direction: "input" or "output". */
  llmTokens: Counter<"model" | "direction">;
  llmLatency: Histogram<"model" | "outcome">;
  /** A deterministic diagnosis posted instead of the model's; reason: "no_provider", "invalid_output", "error", "limit". */
  fallbacks: Counter<"reason">;
  githubApiErrors: Counter<"status">;
  /** GitHub calls that got no HTTP answer; reason: "dns", "refused", "reset", "timeout", "tls", "network". */
  githubUnreachable: Counter<"reason">;
  /**
   * What delivery recovery did with each failed webhook delivery it looked at; outcome: "requested" (redelivery asked),
   * "recorded" (failed at GitHub but recorded here), "given_up" (too many attempts), "over_limit", "error".
   */
  webhookRedeliveries: Counter<"outcome">;
  rateLimitWaits: Counter<never>;
  rateLimitWaitSeconds: Counter<never>;
  fixPrsOpened: Counter<never>;
  /** reason: e.g. "permission", "not_allowed", "low_confidence", "limits". */
  approvalsRefused: Counter<"reason">;
  /**
   * Adds another registry's metrics (the job thread's) to every scrape: counters and histograms of the same name and
   * labels are summed.
   */
  mergeFrom(source: () => Promise<MetricsJson>): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const p = options.prefix ?? "ci_medic_";
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p });

  const jobCounts = options.jobCounts;
  const jobs = new Gauge({
    name: `${p}jobs`,
    help: "Jobs in the queue by state.",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      if (!jobCounts) return;
      this.reset();
      for (const [state, count] of Object.entries(await jobCounts())) this.set({ state }, count);
    },
  });

  const sources: (() => Promise<MetricsJson>)[] = [];
  async function render(): Promise<string> {
    if (sources.length === 0) return registry.metrics();
    const own = await registry.getMetricsAsJSON();
    const others = await Promise.all(sources.map((source) => source()));
    return mergeMetrics([own, ...others]).metrics();
  }

  return {
    registry,
    webhooksReceived: new Counter({
      name: `${p}webhooks_received_total`,
      help: "Webhook deliveries received, by event and outcome.",
      labelNames: ["event", "outcome"] as const,
      registers,
    }),
    jobs,
    jobDuration: new Histogram({
      name: `${p}job_duration_seconds`,
      help: "Time to run one job attempt, by kind and outcome.",
      labelNames: ["kind", "outcome"] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    llmCalls: new Counter({
      name: `${p}llm_calls_total`,
      help: "LLM calls by model and outcome.",
      labelNames: ["model", "outcome"] as const,
      registers,
    }),
    llmTokens: new Counter({
      name: `${p}llm_tokens_total`,
      help: "LLM tokens by model and direction (input/output).",
      labelNames: ["model", "direction"] as const,
      registers,
    }),
    llmLatency: new Histogram({
      name: `${p}llm_latency_seconds`,
      help: "LLM call latency by model and outcome.",
      labelNames: ["model", "outcome"] as const,
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers,
    }),
    fallbacks: new Counter({
      name: `${p}diagnosis_fallbacks_total`,
      help: "Deterministic diagnoses posted instead of the model's, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    githubApiErrors: new Counter({
      name: `${p}github_api_errors_total`,
      help: "GitHub API errors by HTTP status.",
      labelNames: ["status"] as const,
      registers,
    }),
    githubUnreachable: new Counter({
      name: `${p}github_unreachable_total`,
      help: "GitHub calls that got no HTTP answer, by cause (dns, refused, reset, timeout, tls, network).",
      labelNames: ["reason"] as const,
      registers,
    }),
    webhookRedeliveries: new Counter({
      name: `${p}webhook_redeliveries_total`,
      help: "Failed webhook deliveries seen by delivery recovery, by what was done (requested, recorded, given_up, over_limit, error).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    rateLimitWaits: new Counter({
      name: `${p}github_rate_limit_waits_total`,
      help: "Times a job waited for a GitHub rate limit to reset.",
      registers,
    }),
    rateLimitWaitSeconds: new Counter({
      name: `${p}github_rate_limit_wait_seconds_total`,
      help: "Seconds spent waiting for GitHub rate limits.",
      registers,
    }),
    fixPrsOpened: new Counter({
      name: `${p}fix_prs_opened_total`,
      help: "Fix pull requests opened after an approval.",
      registers,
    }),
    approvalsRefused: new Counter({
      name: `${p}approvals_refused_total`,
      help: "Commands or approvals refused, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    mergeFrom: (source) => void sources.push(source),
    render,
  };
}

/**
 * One registry from several: `AggregatorRegistry.aggregate` with each metric's own aggregator (sum for ours) where
 * several registries have it. A metric only one registry has is kept as it is, even one whose aggregator drops it
 * across processes (`process_start_time_seconds`: both threads are one process here).
 */
export function mergeMetrics(sets: MetricsJson[]): Registry {
  const seen = new Map<string, number>();
  for (const set of sets) for (const metric of set) seen.set(metric.name, (seen.get(metric.name) ?? 0) + 1);
  const kept = sets.map((set) =>
    set.map((metric) => (seen.get(metric.name) === 1 ? { ...metric, aggregator: "first" as const } : metric)),
  );
  return AggregatorRegistry.aggregate(kept);
}
