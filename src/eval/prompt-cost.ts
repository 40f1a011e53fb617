// What a diagnosis request costs: the prompt ci-medic would send for one analysed log, in characters and tokens.

import { buildDiagnosisPrompt } from "../diagnosis/prompt.js";
import { evidenceOfLog } from "../diagnosis/types.js";
import type { LogAnalysis } from "../logs/types.js";

/** Tokens estimated as characters / 4, the usual rule of thumb for English and code with BPE tokenisers. */
export const CHARS_PER_TOKEN = 4;

/** Characters of the system text and prompt for a one-job run whose log gave this analysis (no workflow file). */
export function promptChars(r: LogAnalysis): number {
  const built = buildDiagnosisPrompt(
    {
      repository: "owner/repo",
      workflowName: "CI",
      headBranch: "main",
      headSha: "0".repeat(40),
      jobs: [evidenceOfLog("build", r)],
    },
    { nonce: "0".repeat(16) },
  );
  return built.system.length + built.prompt.length;
}
