import { redact } from "../logs/redact.js";

// Text from logs or from the model ends up in a GitHub comment: it must not be able to ping people or forge markup.

/**
 * Normalises model or log text before it is stored: secrets redacted (a model may echo one from its input), HTML
 * comments (our sticky-comment marker is one) stripped, @mentions neutralised. Rendering it safely for GitHub is the
 * sanitiser's job (src/output/markdown.ts), at posting time.
 */
export function neutralizeText(text: string, maxChars: number): string {
  let out = redact(text)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<!--|-->/g, "")
    // `@user`, `@org/team`: a zero-width space after @ keeps the text readable and the mention inert.
    // Not after a word character, so e-mail addresses and `pkg@1.2.3` stay as they are.
    .replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, "$1@\u200b");
  if (out.length > maxChars) out = `${out.slice(0, maxChars - 1)}…`;
  return out.trim();
}

/**
 * Keep only plausible repository-relative POSIX paths: no absolute paths, no `..`, no URLs, no control characters.
 * A leading `./` is dropped; duplicates are removed.
 */
export function safeRepoPaths(paths: readonly string[], max = 20): string[] {
  const out: string[] = [];
  for (const raw of paths) {
    const p = raw.trim().replace(/^\.\//, "");
    if (!p || p.length > 300) continue;
    if (p.startsWith("/") || p.startsWith("~") || /^[A-Za-z]:/.test(p) || p.includes("\\")) continue;
    if (p.split("/").some((seg) => seg === ".." || seg === "." || seg === "")) continue;
    if (!/^[\w.@+=,\-/ ()[\]]+$/.test(p) || p.includes("://")) continue;
    if (!out.includes(p)) out.push(p);
    if (out.length >= max) break;
  }
  return out;
}
