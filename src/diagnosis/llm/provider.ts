// The one seam between ci-medic and any LLM API. Both providers implement it; the resilience wrapper decorates it.

/** The JSON-schema subset that both Gemini's `responseSchema` and OpenAI's strict `json_schema` accept. */
export type JsonSchemaObject =
  | { type: "string"; description?: string; enum?: string[] }
  | { type: "number" | "integer"; description?: string }
  | { type: "boolean"; description?: string }
  | { type: "array"; description?: string; items: JsonSchemaObject }
  | {
      type: "object";
      description?: string;
      properties: Record<string, JsonSchemaObject>;
      /** OpenAI strict mode needs every property listed here. */
      required: string[];
      additionalProperties: false;
    };

export interface JsonRequest {
  system: string;
  prompt: string;
  schema: JsonSchemaObject;
  /** Name of the schema for APIs that want one (letters, digits, _ and -). */
  schemaName?: string;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

export interface JsonResponse {
  text: string;
  promptTokens: number;
  outputTokens: number;
  latencyMs: number;
}

export interface LlmProvider {
  readonly name: "gemini" | "openai";
  readonly model: string;
  generateJson(req: JsonRequest): Promise<JsonResponse>;
  /** The same provider (same key, same breaker) talking to another model. */
  withModel(model: string): LlmProvider;
}

/**
 * Every provider failure surfaces as this. Built from scrubbed text only: it never holds the SDK error (whose message
 * or request options may carry the key) as `cause`.
 */
export class LlmError extends Error {
  override readonly name = "LlmError";
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, opts: { status?: number; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    if (opts.status !== undefined) this.status = opts.status;
    this.retryable = opts.retryable ?? false;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/** 408, 429 and 5xx are worth another try; the rest (400, 401, 403, 404...) will fail the same way again. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500 && status <= 599);
}

const KEY_LIKE = /\b(?:sk|AIza|gsk|xai)[-_A-Za-z0-9*.]{6,}/g;

/**
 * Upstream messages can echo the key, whole or partly masked ("Incorrect API key provided: sk-abc***xyz").
 * Remove the exact key, anything shaped like a key, `key=` query parameters, and cap the length.
 */
export function scrubSecret(text: string, secret: string | undefined, maxChars = 500): string {
  let out = text;
  if (secret && secret.length >= 4) out = out.split(secret).join("[REDACTED]");
  out = out.replace(KEY_LIKE, "[REDACTED]").replace(/([?&](?:key|api[_-]?key)=)[^&\s]+/gi, "$1[REDACTED]");
  return out.length > maxChars ? `${out.slice(0, maxChars)}…` : out;
}

/** `Retry-After` is seconds or an HTTP date; returns milliseconds from now, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
