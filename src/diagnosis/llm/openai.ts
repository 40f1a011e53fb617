import OpenAI from "openai";
import type { JsonRequest, JsonResponse, LlmProvider } from "./provider.js";
import { isRetryableStatus, LlmError, parseRetryAfter, scrubSecret } from "./provider.js";

export const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";

export interface OpenAiOptions {
  /** Optional for local OpenAI-compatible servers (llama.cpp, Ollama, vLLM) that ignore it. */
  apiKey?: string;
  baseURL?: string;
  model?: string;
  /** Transport timeout; the resilience wrapper has its own, usually shorter, per-call one. */
  timeoutMs?: number;
}

/** Any OpenAI-compatible chat-completions endpoint with strict JSON-schema output. */
export class OpenAiProvider implements LlmProvider {
  readonly name = "openai" as const;
  readonly model: string;
  readonly #opts: OpenAiOptions;
  readonly #client: OpenAI;

  constructor(opts: OpenAiOptions) {
    this.#opts = opts;
    this.model = opts.model ?? DEFAULT_OPENAI_MODEL;
    this.#client = new OpenAI({
      // The SDK refuses to start without a key; local servers do not check it.
      apiKey: opts.apiKey || "no-key",
      // Explicit so the SDK never picks OPENAI_BASE_URL up from process.env behind our back.
      baseURL: opts.baseURL ?? DEFAULT_OPENAI_BASE_URL,
      maxRetries: 0,
      timeout: opts.timeoutMs ?? 120_000,
    });
  }

  withModel(model: string): LlmProvider {
    return new OpenAiProvider({ ...this.#opts, model });
  }

  async generateJson(req: JsonRequest): Promise<JsonResponse> {
    const started = performance.now();
    // api.openai.com rejects max_tokens for its newer models; compatible servers mostly know only max_tokens.
    const official = (this.#opts.baseURL ?? DEFAULT_OPENAI_BASE_URL).startsWith(DEFAULT_OPENAI_BASE_URL);
    const limit = req.maxOutputTokens
      ? official
        ? { max_completion_tokens: req.maxOutputTokens }
        : { max_tokens: req.maxOutputTokens }
      : {};
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.#client.chat.completions.create(
        {
          model: this.model,
          messages: [
            { role: "system", content: req.system },
            { role: "user", content: req.prompt },
          ],
          response_format: {
            type: "json_schema",
            json_schema: {
              name: req.schemaName ?? "answer",
              schema: req.schema as unknown as Record<string, unknown>,
              strict: true,
            },
          },
          ...limit,
        },
        req.signal ? { signal: req.signal } : undefined,
      );
    } catch (error) {
      throw toLlmError(error, this.#opts.apiKey);
    }
    const message = completion.choices?.[0]?.message;
    if (message?.refusal)
      throw new LlmError(`openai: the model refused (${scrubSecret(message.refusal, this.#opts.apiKey, 200)})`);
    const text = message?.content ?? "";
    if (!text.trim()) throw new LlmError("openai: empty response (no content)");
    return {
      text,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}

function toLlmError(error: unknown, apiKey: string | undefined): LlmError {
  if (error instanceof OpenAI.APIUserAbortError) return new LlmError("openai: request aborted");
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return new LlmError("openai: request timed out", { retryable: true });
  if (error instanceof OpenAI.APIConnectionError) return new LlmError("openai: connection error", { retryable: true });
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const code = typeof error.code === "string" ? error.code : undefined;
    const retryAfterMs = parseRetryAfterHeaders(error.headers);
    // A spent quota also answers 429, but no amount of waiting within this job will refill it.
    const retryable = isRetryableStatus(status) && code !== "insufficient_quota";
    return new LlmError(`openai: ${scrubSecret(error.message, apiKey)}`, {
      ...(status !== undefined ? { status } : {}),
      retryable,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LlmError(`openai: ${scrubSecret(message, apiKey)}`, { retryable: true });
}

function parseRetryAfterHeaders(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms && /^\d+$/.test(ms.trim())) return Number(ms.trim());
  return parseRetryAfter(headers.get("retry-after"));
}
