import { deterministicDiagnosis } from "./deterministic.js";
import type { LlmProvider } from "./llm/provider.js";
import { LlmError } from "./llm/provider.js";
import { buildDiagnosisPrompt } from "./prompt.js";
import type { DiagnosisAnswer } from "./schema.js";
import { DIAGNOSIS_LIMITS, diagnosisAnswerSchema, diagnosisJsonSchema, parseJsonAnswer } from "./schema.js";
import type { Diagnosis, DiagnosisInput } from "./types.js";
import { neutralizeText, safeRepoPaths } from "./untrusted-text.js";

export interface DiagnosisLog {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface DiagnoseDeps {
  provider?: LlmProvider;
  log?: DiagnosisLog;
}

const MAX_OUTPUT_TOKENS = 4_096;

/**
 * LLM diagnosis with the deterministic one as the floor: no provider, a provider error (breaker open included) or
 * two invalid answers all end in `deterministicDiagnosis` with a `fallbackReason`. Never throws for LLM reasons.
 */
export async function diagnose(input: DiagnosisInput, deps: DiagnoseDeps): Promise<Diagnosis> {
  const { provider, log } = deps;
  if (!provider) return deterministicDiagnosis(input, "no LLM configured");

  const { system, prompt } = buildDiagnosisPrompt(input);
  // Every answer counts against the daily limits, the one a second try replaces and those of a failed diagnosis too.
  const usage = { calls: 0, promptTokens: 0, outputTokens: 0, latencyMs: 0 };
  const fallback = (reason: string): Diagnosis => {
    const d = deterministicDiagnosis(input, reason);
    return usage.calls > 0 ? { ...d, usage: { ...usage } } : d;
  };
  let problem = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    const request =
      attempt === 0
        ? prompt
        : `${prompt}\n\nYour previous answer was rejected: ${problem}. Answer again with only a JSON object that matches the schema.`;
    let text: string;
    try {
      const res = await provider.generateJson({
        system,
        prompt: request,
        schema: diagnosisJsonSchema,
        schemaName: "diagnosis",
        maxOutputTokens: MAX_OUTPUT_TOKENS,
      });
      usage.calls += 1;
      usage.promptTokens += res.promptTokens;
      usage.outputTokens += res.outputTokens;
      usage.latencyMs += res.latencyMs;
      text = res.text;
    } catch (error) {
      // The details go to the operator's log; the public comment gets a short reason with no URLs or upstream text.
      const detail = error instanceof LlmError ? error.message : "LLM call failed";
      log?.warn(
        {
          provider: provider.name,
          model: provider.model,
          reason: detail,
          status: error instanceof LlmError ? error.status : undefined,
        },
        "LLM diagnosis failed; posting the deterministic diagnosis",
      );
      return fallback(publicReason(error));
    }
    const parsed = parseJsonAnswer(text, diagnosisAnswerSchema);
    if (parsed.ok) return fromAnswer(parsed.value, provider.model, usage);
    problem = parsed.problem;
    log?.debug?.({ model: provider.model, attempt, problem }, "invalid LLM answer");
  }
  log?.warn(
    { provider: provider.name, model: provider.model, problem },
    "LLM answered invalid JSON twice; posting the deterministic diagnosis",
  );
  return fallback("the model's answer was not valid (twice)");
}

function publicReason(error: unknown): string {
  if (!(error instanceof LlmError)) return "the model call failed";
  if (/circuit open/i.test(error.message)) return "the model is unavailable at the moment";
  if (/timed? ?out/i.test(error.message)) return "the model did not answer in time";
  if (error.status !== undefined) return `the model's API answered HTTP ${error.status}`;
  return "the model could not be reached";
}

/** The model's answer is untrusted too: it goes into a public comment. */
function fromAnswer(answer: DiagnosisAnswer, model: string, usage: Diagnosis["usage"] & object): Diagnosis {
  return {
    summary:
      neutralizeText(answer.summary.replace(/\s+/g, " "), DIAGNOSIS_LIMITS.summary) ||
      "(the model gave no usable summary)",
    rootCause: neutralizeText(answer.rootCause, DIAGNOSIS_LIMITS.rootCause),
    category: answer.category,
    confidence: Math.round(answer.confidence * 100) / 100,
    suggestedFix: neutralizeText(answer.suggestedFix, DIAGNOSIS_LIMITS.suggestedFix),
    files: safeRepoPaths(answer.files, DIAGNOSIS_LIMITS.files),
    source: "llm",
    model,
    usage: { ...usage },
  };
}
