import type { ResponseSchema } from "@google/generative-ai";
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIResponseError,
} from "@google/generative-ai";
import type { JsonRequest, JsonResponse, JsonSchemaObject, LlmProvider } from "./provider.js";
import { isRetryableStatus, LlmError, parseRetryAfter, scrubSecret } from "./provider.js";

export const DEFAULT_GEMINI_MODEL = "gemini-2.5-flash";

export interface GeminiOptions {
  apiKey: string;
  model?: string;
  /** For tests and proxies; the SDK default is https://generativelanguage.googleapis.com. */
  baseUrl?: string;
}

/**
 * Gemini through `@google/generative-ai`. The SDK (0.24) sends the key in the `x-goog-api-key` header and builds the
 * URL from base, version, model and task only, so the key never lands in a URL or in the SDK's "Error fetching from
 * <url>" messages; test/diagnosis/gemini.test.ts pins that at the HTTP level.
 */
export class GeminiProvider implements LlmProvider {
  readonly name = "gemini" as const;
  readonly model: string;
  readonly #apiKey: string;
  readonly #baseUrl: string | undefined;
  readonly #client: GoogleGenerativeAI;

  constructor(opts: GeminiOptions) {
    this.model = opts.model ?? DEFAULT_GEMINI_MODEL;
    this.#apiKey = opts.apiKey;
    this.#baseUrl = opts.baseUrl;
    this.#client = new GoogleGenerativeAI(opts.apiKey);
  }

  withModel(model: string): LlmProvider {
    return new GeminiProvider({ apiKey: this.#apiKey, model, ...(this.#baseUrl ? { baseUrl: this.#baseUrl } : {}) });
  }

  async generateJson(req: JsonRequest): Promise<JsonResponse> {
    const model = this.#client.getGenerativeModel(
      {
        model: this.model,
        systemInstruction: req.system,
        generationConfig: {
          responseMimeType: "application/json",
          responseSchema: toGeminiSchema(req.schema) as unknown as ResponseSchema,
          temperature: 0.2,
          ...(req.maxOutputTokens ? { maxOutputTokens: req.maxOutputTokens } : {}),
        },
      },
      this.#baseUrl ? { baseUrl: this.#baseUrl } : undefined,
    );
    const started = performance.now();
    try {
      const result = await model.generateContent(
        { contents: [{ role: "user", parts: [{ text: req.prompt }] }] },
        req.signal ? { signal: req.signal } : {},
      );
      const response = result.response;
      if (!response.candidates || response.candidates.length === 0) {
        const blocked = response.promptFeedback?.blockReason;
        throw new LlmError(blocked ? `gemini: prompt blocked (${blocked})` : "gemini: empty response (no candidates)");
      }
      const text = response.text();
      if (!text.trim()) throw new LlmError("gemini: empty response text");
      return {
        text,
        promptTokens: response.usageMetadata?.promptTokenCount ?? 0,
        outputTokens: response.usageMetadata?.candidatesTokenCount ?? 0,
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw toLlmError(error, this.#apiKey);
    }
  }
}

function toLlmError(error: unknown, apiKey: string): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof GoogleGenerativeAIFetchError) {
    const status = error.status;
    return new LlmError(`gemini: ${scrubSecret(error.message, apiKey)}`, {
      ...(status !== undefined ? { status } : {}),
      retryable: isRetryableStatus(status),
      ...retryDelay(error.errorDetails),
    });
  }
  if (error instanceof GoogleGenerativeAIResponseError) {
    // Safety/recitation stops: asking the same thing again gives the same answer.
    return new LlmError(`gemini: ${scrubSecret(error.message, apiKey)}`);
  }
  const e = error as { name?: string; message?: string };
  if (error instanceof GoogleGenerativeAIAbortError || e?.name === "AbortError") {
    return new LlmError("gemini: request aborted", { retryable: false });
  }
  // Network failures ("fetch failed", resets): transient.
  return new LlmError(`gemini: ${scrubSecret(String(e?.message ?? error), apiKey)}`, { retryable: true });
}

/** Gemini 429s carry `google.rpc.RetryInfo { retryDelay: "37s" }` in the error details. */
function retryDelay(details: unknown): { retryAfterMs?: number } {
  if (!Array.isArray(details)) return {};
  for (const d of details) {
    const delay = (d as { retryDelay?: unknown })?.retryDelay;
    if (typeof delay === "string") {
      const ms = parseRetryAfter(delay.replace(/s$/, ""));
      if (ms !== undefined) return { retryAfterMs: ms };
    }
  }
  return {};
}

/** Gemini's schema dialect: no `additionalProperties`, and string enums flagged with `format: "enum"`. */
export function toGeminiSchema(schema: JsonSchemaObject): Record<string, unknown> {
  switch (schema.type) {
    case "object":
      return {
        type: "object",
        ...(schema.description ? { description: schema.description } : {}),
        properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toGeminiSchema(v)])),
        required: schema.required,
      };
    case "array":
      return {
        type: "array",
        ...(schema.description ? { description: schema.description } : {}),
        items: toGeminiSchema(schema.items),
      };
    case "string":
      return schema.enum ? { ...schema, format: "enum" } : { ...schema };
    default:
      return { ...schema };
  }
}
