import { DEFAULT_GEMINI_MODEL, GeminiProvider } from "./gemini.js";
import { DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL, OpenAiProvider } from "./openai.js";
import type { LlmProvider } from "./provider.js";
import type { LlmObserver } from "./resilient.js";
import { withResilience } from "./resilient.js";

type Env = Record<string, string | undefined>;

const MODEL_NAME = /^[A-Za-z0-9][\w.:/-]{0,99}$/;

/**
 * The operator's LLM, wrapped for resilience, or undefined when none is configured (ci-medic then posts the
 * deterministic diagnosis). A setting that is present but malformed is an Error at startup, not a silent fallback.
 * Error messages name the variable, never its value when it is a key.
 */
export function createProviderFromEnv(
  env: Env = process.env,
  opts: { observer?: LlmObserver } = {},
): LlmProvider | undefined {
  const kind = (env.LLM_PROVIDER ?? "").trim().toLowerCase() || "gemini";
  const timeoutMs = readTimeout(env.LLM_TIMEOUT_MS);
  const resilience = { timeoutMs, ...(opts.observer ? { observer: opts.observer } : {}) };

  if (kind === "gemini") {
    const apiKey = env.GEMINI_API_KEY?.trim();
    if (!apiKey) return undefined;
    return withResilience(
      new GeminiProvider({ apiKey, model: readModel(env, "GEMINI_MODEL") ?? DEFAULT_GEMINI_MODEL }),
      resilience,
    );
  }
  if (kind === "openai") {
    const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
    const baseURL = readBaseUrl(env.OPENAI_BASE_URL);
    // The public API without a key cannot work; a custom base URL may be a local server that needs none.
    if (!apiKey && !baseURL) return undefined;
    return withResilience(
      new OpenAiProvider({
        ...(apiKey ? { apiKey } : {}),
        baseURL: baseURL ?? DEFAULT_OPENAI_BASE_URL,
        model: readModel(env, "OPENAI_MODEL") ?? DEFAULT_OPENAI_MODEL,
        timeoutMs: timeoutMs + 5_000,
      }),
      resilience,
    );
  }
  throw new Error(`LLM_PROVIDER must be "gemini" or "openai", got "${kind.slice(0, 40)}"`);
}

function readModel(env: Env, name: "GEMINI_MODEL" | "OPENAI_MODEL"): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!MODEL_NAME.test(value))
    throw new Error(`${name} must be a model name (letters, digits, . _ - : /; at most 100 characters)`);
  return value;
}

function readBaseUrl(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error("OPENAI_BASE_URL must be an http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("OPENAI_BASE_URL must be an http(s) URL");
  // Credentials in the URL would end up in logs and error messages.
  if (url.username || url.password) throw new Error("OPENAI_BASE_URL must not contain credentials; use OPENAI_API_KEY");
  return trimmed.replace(/\/+$/, "");
}

/**
 * Well under a job's 10-minute time budget (src/jobs/time-budget.ts), so a slow model leaves room for the rule-based
 * fallback and the posting. The app's start-up check (env-schema.ts) and the command line share it.
 */
export const MAX_LLM_TIMEOUT_MS = 300_000;

function readTimeout(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 60_000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1_000 || n > MAX_LLM_TIMEOUT_MS)
    throw new Error(`LLM_TIMEOUT_MS must be a whole number of milliseconds between 1000 and ${MAX_LLM_TIMEOUT_MS}`);
  return n;
}
