import { INSTRUCTIONS_MAX_CHARS } from "./schema.js";

/**
 * `llm.instructions` comes from whoever can push to the default branch, and goes into the model's prompt next to
 * delimited, untrusted log data. Strip what could pass for markup or a delimiter of that data block, so the text can
 * only ever read as a plain instruction, and cap it so it cannot crowd out the evidence.
 */
export function sanitizeInstructions(
  text: string,
  maxChars: number = INSTRUCTIONS_MAX_CHARS,
): { text: string; cut: boolean } {
  let out = text
    .replace(/\r\n?/g, "\n")
    // Hidden HTML comments (and an unterminated one up to the end) would be invisible in the README's rendering.
    .replace(/<!--[\s\S]*?(?:-->|$)/g, "")
    // Control characters other than newline and tab, including bidi overrides and zero-width characters.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g, "")
    // Delimiter look-alikes: <<<, >>>, ``` fences, ===, and "BEGIN/END ... DATA"-style markers.
    .replace(/<{3,}|>{3,}|`{3,}|~{3,}|={3,}/g, "")
    .replace(/^[ \t]*-{3,}[ \t]*$/gm, "")
    // Upper-case only, so that "end of the day" survives.
    .replace(/\b(?:BEGIN|END)(?:[ _-]+[A-Z][A-Z0-9_]*){1,4}\b/g, "")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  const cut = out.length > maxChars;
  if (cut) out = out.slice(0, maxChars).trimEnd();
  return { text: out, cut };
}
