// Rendering untrusted text (log lines, LLM prose, job, step and branch names) into GitHub Markdown safely: no raw HTML,
// no HTML comments (ci-medic's hidden markers must not be forgeable), no notifications from @mentions, no fence or
// block that escapes into the rest of the comment.

import { headOf, tailOf } from "./cut-text.js";

const ZWSP = "\u200b";

/** Breaks every `<!--` / `-->` so no HTML comment (and so no marker) can be formed from this text. */
export function breakHtmlComments(s: string): string {
  return s.replace(/<!--/g, `<!-${ZWSP}-`).replace(/--!?>/g, (m) => `-${ZWSP}${m.slice(1)}`);
}

/** `@name` → `@\u200bname`: still readable, no longer a mention. */
export function neutralizeMentions(s: string): string {
  return s.replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`);
}

/** Markdown prose from an untrusted source, outside code: comments dropped, HTML escaped, mentions and images defused. */
function safeProse(s: string): string {
  const noComments = s.replace(/<!--[\s\S]*?(-->|$)/g, "");
  const escaped = breakHtmlComments(noComments).replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return neutralizeMentions(escaped).replace(/!\[/g, "!\\[");
}

/** A single line of untrusted text (a job or step name), safe in prose. */
export function safeInline(s: string): string {
  return safeProse(
    s
      .replace(/\s+/g, " ")
      .trim()
      .replace(/([\\`*_[\]|])/g, "\\$1"),
  );
}

/** Untrusted text as inline code (step names, branches): backticks cannot end the span, nothing inside renders. */
export function inlineCode(s: string): string {
  const text = breakHtmlComments(s.replace(/\s+/g, " ").trim()) || " ";
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fence longer than any backtick run in `s` (at least three), so the text cannot close it. */
export function fenceFor(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`{3,}/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** A fenced code block of untrusted text; only comment openers are broken so markers stay unforgeable. */
export function codeBlock(s: string, info = ""): string {
  const text = breakHtmlComments(s.replace(/\r\n?/g, "\n")).replace(/\n+$/, "");
  const fence = fenceFor(text);
  return `${fence}${info}\n${text}\n${fence}`;
}

/**
 * Multi-line Markdown from the LLM: prose is made safe, fenced code blocks are kept as code (only comment openers
 * broken), and a fence left open is closed so it cannot swallow the rest of the comment.
 */
export function safeMarkdown(s: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of s.replace(/\r\n?/g, "\n").split("\n")) {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (opener) {
        fence = opener[1]!;
        out.push(breakHtmlComments(line));
      } else out.push(safeProse(line));
    } else {
      const closes =
        opener && opener[1]![0] === fence[0] && opener[1]!.length >= fence.length && line.trim() === opener[1];
      out.push(breakHtmlComments(line));
      if (closes) fence = undefined;
    }
  }
  if (fence !== undefined) out.push(fence);
  return out.join("\n");
}

/** A link only when the URL is an http(s) URL; the label is made safe. */
export function link(label: string, url: string | undefined | null): string {
  const text = safeInline(label) || "link";
  if (!url || !/^https?:\/\/[^\s<>()"']+$/.test(url)) return text;
  return `[${text}](${url})`;
}

/** Cuts to `max` characters, keeping the head and the tail with a note in between. */
export function cutMiddle(s: string, max: number, note = "… [cut by ci-medic] …"): string {
  if (s.length <= max) return s;
  if (max <= note.length + 2) return headOf(s, max);
  const keep = max - note.length - 2;
  const head = Math.floor(keep / 3);
  return `${headOf(s, head)}\n${note}\n${tailOf(s, keep - head)}`;
}

/** Cuts to `max` characters at the end, with an ellipsis. */
export function cutEnd(s: string, max: number): string {
  return s.length <= max ? s : `${headOf(s, max - 1)}…`;
}
