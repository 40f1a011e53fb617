import { z } from "zod";
import type { FailureCategory } from "../logs/types.js";
import { FAILURE_CATEGORIES } from "../logs/types.js";
import type { JsonSchemaObject } from "./llm/provider.js";

/** Display caps: longer text from the model is cut rather than rejected (a retry for a long summary is waste). */
export const DIAGNOSIS_LIMITS = { summary: 300, rootCause: 3000, suggestedFix: 4000, files: 20, path: 300 } as const;

const capped = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, { error: "must not be empty" }))
    .transform((s) => (s.length > max ? `${s.slice(0, max - 1)}…` : s));

/** What the model must answer for a diagnosis (before our post-processing). */
export const diagnosisAnswerSchema = z.object({
  summary: capped(DIAGNOSIS_LIMITS.summary),
  rootCause: capped(DIAGNOSIS_LIMITS.rootCause),
  category: z.enum(FAILURE_CATEGORIES as [FailureCategory, ...FailureCategory[]], {
    error: `must be one of ${FAILURE_CATEGORIES.join(", ")}`,
  }),
  confidence: z
    .number({ error: "must be a number" })
    .min(0, { error: "must be between 0 and 1" })
    .max(1, { error: "must be between 0 and 1" }),
  suggestedFix: capped(DIAGNOSIS_LIMITS.suggestedFix),
  files: z
    .array(z.string())
    .transform((files) => files.slice(0, DIAGNOSIS_LIMITS.files).map((f) => f.slice(0, DIAGNOSIS_LIMITS.path))),
});

export type DiagnosisAnswer = z.infer<typeof diagnosisAnswerSchema>;

export const diagnosisJsonSchema: JsonSchemaObject = {
  type: "object",
  properties: {
    summary: {
      type: "string",
      description: `One sentence, at most ${DIAGNOSIS_LIMITS.summary} characters: what broke.`,
    },
    rootCause: { type: "string", description: "Why it broke, citing the evidence (file, line, error message)." },
    category: { type: "string", enum: [...FAILURE_CATEGORIES], description: "The kind of failure." },
    confidence: { type: "number", description: "0 to 1: how sure you are, given only the evidence shown." },
    suggestedFix: { type: "string", description: "Concrete steps or code change to fix it (Markdown allowed)." },
    files: {
      type: "array",
      items: { type: "string" },
      description: "Repository-relative paths involved, most relevant first.",
    },
  },
  required: ["summary", "rootCause", "category", "confidence", "suggestedFix", "files"],
  additionalProperties: false,
};

/** Parse the model's text as JSON and validate it; on failure, a short reason fit to send back to the model. */
export function parseJsonAnswer<T>(
  text: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(stripFence(text));
  } catch {
    return { ok: false, problem: "the answer was not valid JSON" };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  return { ok: false, problem: `the JSON did not match the schema (${problems.join("; ")})` };
}

/** Some OpenAI-compatible servers wrap JSON in a Markdown fence despite the response format. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return m?.[1] ?? text;
}
