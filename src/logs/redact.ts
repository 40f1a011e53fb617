// Secrets out before anything leaves the process. Each rule names its kind: `[REDACTED:<kind>]`.

import { RedactionError } from "./errors.js";

interface Rule {
  kind: string;
  re: RegExp;
  /** Replacement; defaults to the marker for the whole match. */
  replace?: (m: string, ...groups: string[]) => string;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

// Order matters: multi-line and structured forms first, so a PEM body or a URL password is not half-eaten by a generic rule.
const RULES: Rule[] = [
  {
    kind: "private-key",
    re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*$)/g,
  },
  { kind: "github-token", re: /\b(?:gh[pousr]_[A-Za-z0-9_]{20,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { kind: "openai-key", re: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g },
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: "aws-access-key", re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { kind: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9_/-]+/g },
  { kind: "slack-token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  {
    kind: "authorization",
    re: /\b(Authorization|Proxy-Authorization)(["']?\s*[:=]\s*["']?)(Bearer|Basic|token|Token)\s+[A-Za-z0-9+/=._~-]{6,}/gi,
    replace: (_m, h, sep, scheme) => `${h}${sep}${scheme} ${mark("authorization")}`,
  },
  { kind: "bearer", re: /\b(Bearer)\s+[A-Za-z0-9+/=._~-]{16,}/g, replace: (_m, s) => `${s} ${mark("bearer")}` },
  {
    kind: "url-credentials",
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/'"]+):([^\s@/'"]+)@/gi,
    replace: (_m, scheme) => `${scheme}${mark("url-credentials")}@`,
  },
  {
    kind: "assignment",
    // password=…, "api_key": "…", SECRET: … — the name stays, the value goes. `***` is GitHub's own mask.
    re: /((?:["']?)\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)["']?\s*(?:=|:)\s*)(["']?)(?!\*\*\*|\[REDACTED)([^\s"',;&]{4,})\2/gi,
    replace: (_m, lead, q) => `${lead}${q}${mark("assignment")}${q}`,
  },
];

/** Things that look like secrets to a naive eye but are not: commit SHAs, UUIDs, lock-file integrity hashes. */
function isDecoy(value: string): boolean {
  return (
    /^[0-9a-f]{40}$/i.test(value) ||
    /^[0-9a-f]{64}$/i.test(value) ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ||
    /^sha(?:1|256|384|512)-[A-Za-z0-9+/=]+$/.test(value) ||
    /^(?:true|false|null|none|required|optional|\$\{\{.*|\$[A-Z_]+)$/i.test(value)
  );
}

export function redact(text: string): string {
  let out = text;
  for (const rule of RULES) {
    // Cheap guard: most rules need a literal fragment that plain log text rarely contains.
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (m: string, ...args: unknown[]) => {
      const groups = args.slice(0, -2).map((g) => (typeof g === "string" ? g : ""));
      if (rule.kind === "assignment" && isDecoy(groups[2] ?? "")) return m;
      return rule.replace ? rule.replace(m, ...groups) : mark(rule.kind);
    });
  }
  return out;
}

// The re-scan looks for the unambiguous shapes only; a surviving one means a rule above is broken.
const SURVIVORS: { kind: string; re: RegExp }[] = [
  { kind: "private-key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { kind: "github-token", re: /\b(?:gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { kind: "aws-access-key", re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { kind: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}/ },
  { kind: "slack-token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: "slack-webhook", re: /hooks\.slack\.com\/services\/[A-Za-z0-9]/ },
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { kind: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/ },
  { kind: "openai-key", re: /\bsk-proj-[A-Za-z0-9_-]{20,}/ },
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { kind: "url-credentials", re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"[]+:(?!\[REDACTED)[^\s@/'"]+@/i },
];

/** Kinds of secret-looking text present in `text` (empty when clean). */
export function findSecrets(text: string): string[] {
  return SURVIVORS.filter((s) => s.re.test(text)).map((s) => s.kind);
}

/** "If redaction fails, nothing is sent": redacts, re-scans, and throws RedactionError if anything survived. */
export function redactStrict(text: string): string {
  const out = redact(text);
  const left = findSecrets(out);
  if (left.length > 0) throw new RedactionError(left);
  return out;
}
