import type { CircuitBreakerPolicy } from "cockatiel";
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from "cockatiel";
import type { JsonRequest, JsonResponse, LlmProvider } from "./provider.js";
import { LlmError } from "./provider.js";

export type CallOutcome = "ok" | "error" | "timeout" | "circuit-open";
export type BreakerState = "closed" | "open" | "half-open";

/** Hooks for the metrics module; all optional, and an observer that throws never breaks a call. */
export interface LlmObserver {
  onCall?(model: string, outcome: CallOutcome, latencyMs: number, tokens: { prompt: number; output: number }): void;
  onBreakerStateChange?(state: BreakerState): void;
  onRetry?(model: string, attempt: number, delayMs: number, error: LlmError): void;
}

export interface ResilienceOptions {
  /** Per attempt. Default LLM_TIMEOUT_MS or 60 s. */
  timeoutMs?: number;
  /** Retries after the first attempt, for retryable errors only. Default 2. */
  maxRetries?: number;
  baseDelayMs?: number;
  /** Longest wait between attempts; a longer Retry-After gives up instead (the deterministic diagnosis is posted). */
  maxDelayMs?: number;
  /** Consecutive failed attempts that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long the breaker stays open before letting one trial call through. Default 60 s. */
  halfOpenAfterMs?: number;
  observer?: LlmObserver;
  /** Injected in tests so retries do not wait in real time. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Shared {
  breaker: CircuitBreakerPolicy;
  opts: Required<Omit<ResilienceOptions, "observer">> & { observer?: LlmObserver };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Decorates a provider with a per-attempt timeout, bounded retries with jittered exponential backoff honouring
 * Retry-After, and a circuit breaker. While the breaker is open calls fail at once with LlmError("circuit open"),
 * so the caller posts the deterministic diagnosis instead of waiting on a dead API.
 */
export class ResilientProvider implements LlmProvider {
  readonly name: LlmProvider["name"];
  readonly model: string;
  readonly #inner: LlmProvider;
  readonly #shared: Shared;

  constructor(inner: LlmProvider, optsOrShared: ResilienceOptions | Shared = {}) {
    this.#inner = inner;
    this.name = inner.name;
    this.model = inner.model;
    this.#shared = "breaker" in optsOrShared ? optsOrShared : createShared(optsOrShared);
  }

  /** Another model behind the same breaker: an outage of the API is an outage for every model. */
  withModel(model: string): LlmProvider {
    return new ResilientProvider(this.#inner.withModel(model), this.#shared);
  }

  isOpen(): boolean {
    return this.#shared.breaker.state === CircuitState.Open || this.#shared.breaker.state === CircuitState.Isolated;
  }

  async generateJson(req: JsonRequest): Promise<JsonResponse> {
    const { opts, breaker } = this.#shared;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        const res = await breaker.execute(() => this.#attempt(req));
        notify(() =>
          opts.observer?.onCall?.(this.model, "ok", res.latencyMs, {
            prompt: res.promptTokens,
            output: res.outputTokens,
          }),
        );
        return res;
      } catch (raw) {
        const latency = Math.round(performance.now() - started);
        if (raw instanceof BrokenCircuitError) {
          notify(() => opts.observer?.onCall?.(this.model, "circuit-open", latency, { prompt: 0, output: 0 }));
          throw new LlmError("circuit open: recent LLM calls failed", { retryable: false });
        }
        const error = raw instanceof LlmError ? raw : new LlmError("LLM call failed", { retryable: false });
        const timedOut = error.message.includes("timed out");
        notify(() =>
          opts.observer?.onCall?.(this.model, timedOut ? "timeout" : "error", latency, { prompt: 0, output: 0 }),
        );
        if (!error.retryable || attempt >= opts.maxRetries || req.signal?.aborted) throw error;
        const backoff = opts.baseDelayMs * 2 ** attempt * (0.5 + opts.random());
        const delay = Math.round(Math.max(backoff, error.retryAfterMs ?? 0));
        if (delay > opts.maxDelayMs) throw error;
        notify(() => opts.observer?.onRetry?.(this.model, attempt + 1, delay, error));
        await opts.sleep(delay);
      }
    }
  }

  async #attempt(req: JsonRequest): Promise<JsonResponse> {
    const { timeoutMs } = this.#shared.opts;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Race as well as abort: a provider that ignores the signal must not hold the job past the timeout.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new LlmError(`LLM call timed out after ${timeoutMs} ms`, { retryable: true }));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#inner.generateJson({ ...req, signal: controller.signal }), timeout]);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
    }
  }
}

function createShared(o: ResilienceOptions): Shared {
  const opts: Shared["opts"] = {
    timeoutMs: o.timeoutMs ?? 60_000,
    maxRetries: o.maxRetries ?? 2,
    baseDelayMs: o.baseDelayMs ?? 1_000,
    maxDelayMs: o.maxDelayMs ?? 30_000,
    failureThreshold: o.failureThreshold ?? 5,
    halfOpenAfterMs: o.halfOpenAfterMs ?? 60_000,
    sleep: o.sleep ?? defaultSleep,
    random: o.random ?? Math.random,
    ...(o.observer ? { observer: o.observer } : {}),
  };
  // Only failures that say "the API is unwell" count: a 400 for one odd prompt must not silence every repository.
  const countsAsOutage = (e: Error) => e instanceof LlmError && (e.retryable || e.status === 401 || e.status === 403);
  const breaker = circuitBreaker(handleWhen(countsAsOutage), {
    halfOpenAfter: opts.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(opts.failureThreshold),
  });
  const names: Record<number, BreakerState> = {
    [CircuitState.Closed]: "closed",
    [CircuitState.Open]: "open",
    [CircuitState.HalfOpen]: "half-open",
    [CircuitState.Isolated]: "open",
  };
  breaker.onStateChange((state) => notify(() => opts.observer?.onBreakerStateChange?.(names[state] ?? "open")));
  return { breaker, opts };
}

function notify(fn: () => void): void {
  try {
    fn();
  } catch {
    // Metrics must never decide whether a diagnosis is posted.
  }
}

export function withResilience(provider: LlmProvider, opts: ResilienceOptions = {}): ResilientProvider {
  return new ResilientProvider(provider, opts);
}
