import { afterEach, describe, expect, it, vi } from "vitest";
import type { JsonRequest, JsonResponse, LlmProvider } from "../../src/diagnosis/llm/provider.js";
import { LlmError } from "../../src/diagnosis/llm/provider.js";
import { withResilience } from "../../src/diagnosis/llm/resilient.js";
import { diagnosisJsonSchema } from "../../src/diagnosis/schema.js";

const OK: JsonResponse = { text: "{}", promptTokens: 10, outputTokens: 2, latencyMs: 5 };
const req: JsonRequest = { system: "s", prompt: "p", schema: diagnosisJsonSchema };

/** A provider that plays a script of outcomes, one per call. */
function scripted(script: Array<JsonResponse | LlmError | "hang">, model = "m1") {
  const calls: Array<{ model: string; signal?: AbortSignal }> = [];
  const make = (m: string): LlmProvider => ({
    name: "gemini",
    model: m,
    withModel: (other) => make(other),
    generateJson: async (r) => {
      calls.push({ model: m, ...(r.signal ? { signal: r.signal } : {}) });
      const next = script.shift() ?? OK;
      if (next === "hang") return new Promise<JsonResponse>(() => {});
      if (next instanceof LlmError) throw next;
      return next;
    },
  });
  return { provider: make(model), calls };
}

afterEach(() => vi.useRealTimers());

describe("withResilience", () => {
  it("retries a 429 honouring retry-after, then succeeds", async () => {
    const { provider, calls } = scripted([
      new LlmError("rate limited", { status: 429, retryable: true, retryAfterMs: 4_000 }),
      OK,
    ]);
    const sleeps: number[] = [];
    const onCall = vi.fn();
    const onRetry = vi.fn();
    const p = withResilience(provider, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      observer: { onCall, onRetry },
    });
    await expect(p.generateJson(req)).resolves.toEqual(OK);
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([4_000]);
    expect(onRetry).toHaveBeenCalledWith("m1", 1, 4_000, expect.any(LlmError));
    expect(onCall.mock.calls.map((c) => c[1])).toEqual(["error", "ok"]);
    expect(onCall).toHaveBeenLastCalledWith("m1", "ok", 5, { prompt: 10, output: 2 });
  });

  it("backs off exponentially with jitter, at most 2 retries", async () => {
    const err = () => new LlmError("HTTP 503", { status: 503, retryable: true });
    const { provider, calls } = scripted([err(), err(), err(), OK]);
    const sleeps: number[] = [];
    const p = withResilience(provider, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 1,
      baseDelayMs: 100,
    });
    await expect(p.generateJson(req)).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([150, 300]);
  });

  it("does not retry a 400, nor a Retry-After longer than maxDelayMs", async () => {
    const sleep = vi.fn(async () => {});
    const a = scripted([new LlmError("bad request", { status: 400, retryable: false }), OK]);
    await expect(withResilience(a.provider, { sleep }).generateJson(req)).rejects.toMatchObject({ status: 400 });
    expect(a.calls).toHaveLength(1);
    const b = scripted([new LlmError("slow down", { status: 429, retryable: true, retryAfterMs: 120_000 }), OK]);
    await expect(withResilience(b.provider, { sleep, maxDelayMs: 30_000 }).generateJson(req)).rejects.toMatchObject({
      status: 429,
    });
    expect(b.calls).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("opens the breaker after 5 consecutive failures, fails fast while open, closes after halfOpenAfter", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const fail = () => new LlmError("HTTP 500", { status: 500, retryable: true });
    const { provider, calls } = scripted([fail(), fail(), fail(), fail(), fail()]);
    const states: string[] = [];
    const onCall = vi.fn();
    const p = withResilience(provider, {
      maxRetries: 0,
      halfOpenAfterMs: 30_000,
      observer: { onBreakerStateChange: (s) => states.push(s), onCall },
    });
    for (let i = 0; i < 5; i++) await expect(p.generateJson(req)).rejects.toMatchObject({ status: 500 });
    expect(p.isOpen()).toBe(true);
    expect(states).toEqual(["open"]);

    // Another model behind the same breaker is cut off too.
    await expect(p.withModel("m2").generateJson(req)).rejects.toThrow("circuit open");
    await expect(p.generateJson(req)).rejects.toMatchObject({
      message: expect.stringContaining("circuit open"),
      retryable: false,
    });
    expect(calls).toHaveLength(5);
    expect(onCall).toHaveBeenLastCalledWith("m1", "circuit-open", expect.any(Number), { prompt: 0, output: 0 });

    vi.setSystemTime(new Date("2026-01-01T00:00:31Z"));
    await expect(p.generateJson(req)).resolves.toEqual(OK);
    expect(calls).toHaveLength(6);
    expect(p.isOpen()).toBe(false);
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("400s do not count toward opening the breaker", async () => {
    const bad = () => new LlmError("bad", { status: 400, retryable: false });
    const { provider } = scripted([bad(), bad(), bad(), bad(), bad(), bad()]);
    const p = withResilience(provider, { maxRetries: 0 });
    for (let i = 0; i < 6; i++) await expect(p.generateJson(req)).rejects.toMatchObject({ status: 400 });
    expect(p.isOpen()).toBe(false);
  });

  it("times out a hanging call, aborts its signal, and retries it", async () => {
    vi.useFakeTimers();
    const { provider, calls } = scripted(["hang", OK]);
    const onCall = vi.fn();
    const p = withResilience(provider, { timeoutMs: 1_000, sleep: async () => {}, observer: { onCall } });
    const result = p.generateJson(req);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toEqual(OK);
    expect(calls[0]!.signal!.aborted).toBe(true);
    expect(onCall.mock.calls.map((c) => c[1])).toEqual(["timeout", "ok"]);
  });

  it("a throwing observer does not break the call", async () => {
    const { provider } = scripted([OK]);
    const p = withResilience(provider, {
      observer: {
        onCall: () => {
          throw new Error("metrics down");
        },
      },
    });
    await expect(p.generateJson(req)).resolves.toEqual(OK);
  });
});
