// Secrets out before anything leaves the process. Each rule names its kind: `[REDACTED:<kind>]`.
//
// Detection rules are taken from gitleaks' rule set (https://github.com/gitleaks/gitleaks, config/gitleaks.toml,
// MIT licence, Copyright (c) 2019 Zachary Rice), read at commit b58d3f1, adapted to JavaScript regular expressions and
// widened where a CI log shows a shape gitleaks' exact lengths miss. Rules marked "ci-medic" are not in gitleaks: they
// cover shapes a red-team pass found in CI logs (docker login -p, Azure connection strings, GCP key files, a bare AWS
// secret key, encoded tokens). The generic rule follows gitleaks' `generic-api-key`: a secret-like name, then a value
// whose Shannon entropy is at least 3.5 bits per character.
//
// Cost: every rule is linear (no nested quantifiers), lines are cut to MAX_LINE before matching, and the redactor runs
// on excerpts, annotations and text about to be posted or sent to the model (tens of kilobytes), never on whole logs.

import { RedactionError } from "./errors.js";

interface Rule {
  kind: string;
  re: RegExp;
  /** Replacement; defaults to the marker for the whole match. */
  replace?: (m: string, ...groups: string[]) => string;
  /** When given, a match is only redacted if this says so (entropy, decoys). */
  accept?: (m: string, ...groups: string[]) => boolean;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

/** Longer lines are cut (with a note) before any rule sees them: a minified bundle line is not worth a regex pass. */
export const MAX_LINE = 4_096;

/** Names whose value is a secret whatever it looks like. */
const STRONG_NAME =
  "password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|hmac[_-]?key|signing[_-]?key|encryption[_-]?key";

// Order matters: multi-line and structured forms first, so a PEM body or a URL password is not half-eaten by a generic rule.
const RULES: Rule[] = [
  {
    // gitleaks private-key (also PGP "PRIVATE KEY BLOCK"); an unterminated block is cut to the end.
    kind: "private-key",
    re: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g,
  },
  {
    // gitleaks github-pat / -oauth / -app-token / -refresh-token / -fine-grained-pat. An installation token may be
    // `ghs_<app id>_<JWT>`: the dotted JWT parts belong to it.
    kind: "github-token",
    re: /\b(?:gh[pousr]_[A-Za-z0-9_-]{20,255}(?:\.[A-Za-z0-9_-]{4,2048}){0,2}|github_pat_[A-Za-z0-9_]{22,255})/g,
  },
  // gitleaks anthropic-api-key / openai-api-key, widened: any `sk-` key of 20+ characters.
  { kind: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { kind: "openai-key", re: /\bsk-[A-Za-z0-9_-]{20,}/g },
  // gitleaks stripe-access-token.
  { kind: "stripe-key", re: /\b(?:sk|rk|pk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}\b/g },
  // gitleaks npm-access-token, gitlab-pat (and its routable form).
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_.-]{20,}/g },
  // gitleaks aws-access-token.
  { kind: "aws-access-key", re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  // gitleaks gcp-api-key.
  { kind: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  // gitleaks sendgrid-api-token.
  { kind: "sendgrid-key", re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}\b/g },
  // gitleaks twilio-api-key.
  { kind: "twilio-key", re: /\bSK[0-9a-fA-F]{32}\b/g },
  // gitleaks heroku-api-key-v2, hashicorp-tf-api-token.
  { kind: "heroku-key", re: /\bHRKU-AA[0-9A-Za-z_-]{58}\b/g },
  { kind: "terraform-token", re: /\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}/g },
  // gitleaks slack-webhook-url, slack-*-token.
  { kind: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/+-]+/g },
  { kind: "slack-token", re: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  // gitleaks jwt, jwt-base64 (a base64-encoded JWT starts with "ZXlK").
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_/\\-]{8,}\.[A-Za-z0-9_/\\-]{8,}={0,2}/g },
  { kind: "jwt", re: /\bZXlK[A-Za-z0-9+/_-]{40,}={0,2}/g },
  {
    // ci-medic: Azure storage / service bus connection strings.
    kind: "azure-key",
    re: /\b(AccountKey|SharedAccessKey|SharedAccessSignature)=([A-Za-z0-9+/%=&:.-]{16,})/gi,
    replace: (_m, name) => `${name}=${mark("azure-key")}`,
  },
  {
    // ci-medic: a GCP service-account key file's private_key_id (hex, so the generic rule would take it for a SHA).
    kind: "gcp-key-id",
    re: /("private_key_id"\s*:\s*")[0-9a-f]{16,64}"/gi,
    replace: (_m, lead) => `${lead}${mark("gcp-key-id")}"`,
  },
  {
    kind: "authorization",
    re: /\b(Authorization|Proxy-Authorization)(["']?\s*[:=]\s*["']?)(Bearer|Basic|token|Token|Digest|Negotiate)\s+[A-Za-z0-9+/=._~-]{6,}/gi,
    replace: (_m, h, sep, scheme) => `${h}${sep}${scheme} ${mark("authorization")}`,
  },
  {
    // ci-medic: cookies carry sessions; the header name stays.
    kind: "cookie",
    re: /\b((?:Set-)?Cookie["']?\s*:\s*["']?)[^\n"']{4,}/gi,
    replace: (_m, h) => `${h}${mark("cookie")}`,
  },
  { kind: "bearer", re: /\b(Bearer)\s+[A-Za-z0-9+/=._~-]{16,}/g, replace: (_m, s) => `${s} ${mark("bearer")}` },
  {
    kind: "url-credentials",
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/'"]+):([^\s@/'"]+)@/gi,
    replace: (_m, scheme) => `${scheme}${mark("url-credentials")}@`,
  },
  {
    // ci-medic: `--password X`, `--token=X`, and `docker login -p X` (only after `login`: `-p` means port or parents elsewhere).
    kind: "cli-password",
    re: /(--(?:password|passwd|pass|token|api-key|apikey|secret|client-secret|access-token|auth-token)(?:=|[ \t]+)|\blogin\b[^\n]{0,200}?[ \t]-p(?:=|[ \t]*))(["']?)(?!\$|\*\*\*|\[REDACTED|-)([^\s"']{3,})\2/gi,
    replace: (_m, lead, q) => `${lead}${q}${mark("cli-password")}${q}`,
  },
  {
    kind: "assignment",
    // password=…, "api_key": "…", SECRET: …, HMAC_KEY: … — the name stays, the value goes. `***` is GitHub's own mask.
    re: new RegExp(
      `((?:["']?)\\b[A-Za-z0-9_.-]*(?:${STRONG_NAME})["']?\\s*(?:=|:)\\s*)(["']?)(?!\\*\\*\\*|\\[REDACTED)([^\\s"',;&]{4,})\\2`,
      "gi",
    ),
    replace: (_m, lead, q) => `${lead}${q}${mark("assignment")}${q}`,
    accept: (_m, lead, _q, value) => !isDecoy(value ?? "", lead ?? ""),
  },
  {
    // gitleaks generic-api-key: a weaker secret-like name (`cache_key`, `auth`, `creds`), so the value must also look
    // random: at least 10 characters and 3.5 bits of entropy per character.
    kind: "generic-secret",
    re: /(\b[A-Za-z0-9_.-]{0,50}?(?:key|auth|creds|credential|access|salt|signature)[A-Za-z0-9_.-]{0,20}["']?\s*(?:=|:|=>)\s*)(["']?)(?!\*\*\*|\[REDACTED)([A-Za-z0-9_.=+/-]{10,150})\2/gi,
    replace: (_m, lead, q) => `${lead}${q}${mark("generic-secret")}${q}`,
    accept: (_m, lead, _q, value) => !isDecoy(value ?? "", lead ?? "") && looksRandom(value ?? ""),
  },
  {
    // ci-medic: a bare AWS secret access key (40 characters of base64 alphabet, mixed classes, random).
    kind: "aws-secret-key",
    re: /(?<![A-Za-z0-9/+=._-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=._-])/g,
    accept: (m) => /[A-Z]/.test(m) && /[a-z]/.test(m) && /\d/.test(m) && !m.includes("//") && entropy(m) >= 4.5,
  },
];

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** gitleaks' generic threshold; plus: a random value mixes character classes, a word or a path does not. */
function looksRandom(value: string): boolean {
  if (entropy(value) < 3.5) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length;
  if (classes < 2) return false;
  // Words joined by separators (`node-cache-Linux-npm`), paths and versions (`a/b/c`, `1.2.3`) are not secrets.
  // A hash suffix (`node-cache-Linux-x64-npm-<sha256>`) is a cache key, not a secret: hex and short parts are words too.
  const wordy = (part: string) => /^[A-Za-z]*$/.test(part) || /^[0-9a-f]+$/.test(part) || part.length <= 4;
  if (value.split(/[-_./]+/).every(wordy)) return false;
  return !/^[\w.-]*[/.][\w.-]*[/.]/.test(value) || /[+=]/.test(value);
}

/** Things that look like secrets to a naive eye but are not: commit SHAs, UUIDs, lock-file integrity hashes. */
function isDecoy(value: string, name: string): boolean {
  // A 40- or 64-hex value named as a key is a key (HMAC, GCP key ids), not a commit.
  const keyName = /hmac|secret|private|password|signing|encryption/i.test(name);
  return (
    (!keyName && /^[0-9a-f]{40}$/i.test(value)) ||
    (!keyName && /^[0-9a-f]{64}$/i.test(value)) ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ||
    /^sha(?:1|256|384|512)-[A-Za-z0-9+/=]+$/.test(value) ||
    /^(?:true|false|null|none|required|optional|\[secure\]|\$\{\{.*|\$[A-Za-z_{(].*|%[A-Z_]+%)$/i.test(value)
  );
}

function capLines(text: string): string {
  if (text.length <= MAX_LINE) return text;
  return text
    .split("\n")
    .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… [line cut by ci-medic]` : l))
    .join("\n");
}

function applyRules(text: string): string {
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (m: string, ...args: unknown[]) => {
      const groups = args.filter((g, i) => i < args.length - 2 && (typeof g === "string" || g === undefined));
      const strs = groups.map((g) => (typeof g === "string" ? g : ""));
      if (rule.accept && !rule.accept(m, ...strs)) return m;
      return rule.replace ? rule.replace(m, ...strs) : mark(rule.kind);
    });
  }
  return out;
}

// ---- encoded tokens: base64 or hex of a secret is the secret -------------------------------------------------------

const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){12,}\b/g;

/** Decoded text when `run` is base64/hex of mostly printable text, else undefined. */
function decode(run: string, hex: boolean): string | undefined {
  let buf: Buffer;
  try {
    buf = hex ? Buffer.from(run, "hex") : Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  } catch {
    return undefined;
  }
  if (buf.length < 12) return undefined;
  let printable = 0;
  for (const b of buf) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  return printable / buf.length > 0.9 ? buf.toString("latin1") : undefined;
}

/** The kind of a definite secret shape inside an encoded run, if any. */
function encodedSecret(run: string, hex: boolean): string | undefined {
  const text = decode(run, hex);
  if (text === undefined) return undefined;
  return findPlainSecrets(text)[0] ?? (applyRules(text) !== text ? "secret" : undefined);
}

function redactEncoded(text: string): string {
  const replaceRuns = (s: string, re: RegExp, hex: boolean) =>
    s.replace(re, (run) => {
      const kind = encodedSecret(run, hex);
      return kind ? mark(`encoded-${kind}`) : run;
    });
  return replaceRuns(replaceRuns(text, HEX_RUN, true), BASE64_RUN, false);
}

/** Redacts every secret shape, plain or base64/hex-encoded. Idempotent. */
export function redact(text: string): string {
  return applyRules(redactEncoded(capLines(text)));
}

// The re-scan looks for the unambiguous shapes only; a surviving one means a rule above is broken.
const SURVIVORS: { kind: string; re: RegExp }[] = [
  { kind: "private-key", re: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/ },
  { kind: "github-token", re: /\b(?:gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { kind: "aws-access-key", re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { kind: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}/ },
  { kind: "slack-token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: "slack-webhook", re: /hooks\.slack\.com\/services\/[A-Za-z0-9]/ },
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { kind: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/ },
  { kind: "openai-key", re: /\bsk-[A-Za-z0-9_-]{20,}/ },
  { kind: "stripe-key", re: /\b(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,}/ },
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { kind: "sendgrid-key", re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,}/ },
  { kind: "twilio-key", re: /\bSK[0-9a-fA-F]{32}\b/ },
  { kind: "url-credentials", re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"[]+:(?!\[REDACTED)[^\s@/'"]+@/i },
];

function findPlainSecrets(text: string): string[] {
  return SURVIVORS.filter((s) => s.re.test(text)).map((s) => s.kind);
}

/** Kinds of secret-looking text present in `text`, plain or base64/hex-encoded (empty when clean). */
export function findSecrets(text: string): string[] {
  const capped = capLines(text);
  const kinds = new Set(findPlainSecrets(capped));
  for (const [re, hex] of [
    [HEX_RUN, true],
    [BASE64_RUN, false],
  ] as const) {
    for (const m of capped.matchAll(re)) {
      const kind = encodedSecret(m[0], hex);
      if (kind) kinds.add(`encoded-${kind}`);
    }
  }
  return [...kinds];
}

/** Kinds a fix may not add: the redactor's definite shapes, plus a literal `password = "…"` (any strong name). */
export function findSecretsInContent(text: string): string[] {
  const kinds = new Set(findSecrets(text));
  if (kinds.size > 0) return [...kinds];
  const assignment = RULES.find((r) => r.kind === "assignment")!;
  const generic = RULES.find((r) => r.kind === "generic-secret")!;
  const bare = RULES.find((r) => r.kind === "aws-secret-key")!;
  for (const rule of [assignment, generic, bare]) {
    rule.re.lastIndex = 0;
    for (const m of capLines(text).matchAll(rule.re)) {
      const strs = m.slice(1).map((g) => g ?? "");
      // In code, a name assigned from another name (`password = os.environ[...]`) is not a literal.
      if (rule !== bare && !/^["']$/.test(strs[1] ?? "")) continue;
      if (!rule.accept || rule.accept(m[0], ...strs))
        kinds.add(rule.kind === "assignment" ? "password literal" : rule.kind);
    }
  }
  return [...kinds];
}

/** "If redaction fails, nothing is sent": redacts, re-scans, and throws RedactionError if anything survived. */
export function redactStrict(text: string): string {
  const out = redact(text);
  const left = findSecrets(out);
  if (left.length > 0) throw new RedactionError(left);
  return out;
}

/** Error text fit to store (Job.lastError, approval details) or to log: name and message, secrets out. */
export function errorText(error: unknown, max = 2_000): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return redact(text).slice(0, max);
}
