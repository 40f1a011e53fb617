// The one sanitiser for everything ci-medic writes to GitHub (comments, replies, check runs, pull request titles and
// bodies, commit messages, fork suggestions, refusal reasons). Every piece of untrusted text (model output, log lines,
// paths and names from the model or the repository) goes through one of the functions below before it is posted:
//
//   safeMarkdown(text, repo?)  multi-line Markdown prose, e.g. a root cause or a PR explanation
//   safeInline(text, repo?)    one line of prose, e.g. a job name, a refusal reason, a `/reject` reason
//   inlineCode(text)           a value shown as code, e.g. a branch or a path
//   codeBlock(text, info?)     a fenced block, e.g. a log excerpt or a diff
//   plainLine(text, max?)      text GitHub shows without Markdown: check-run, issue and PR titles, commit messages
//   link(label, url)           a link whose URL ci-medic got from GitHub's API (never from untrusted text)
//
// What each guarantees: secrets are redacted (src/logs/redact.ts); no raw HTML and no HTML comment (ci-medic's hidden
// markers cannot be forged); no @mention, also not entity-encoded (`&#64;`, `&#x40;`, `&commat;`); no issue reference
// (`#1`, `owner/repo#2`, `GH-3`) and no closing keyword ("closes #1"); no image; no live link or bare URL except to
// the repository's own pages on github.com (`repo` = "owner/name"; others are shown as code); no fence, table or
// code span that escapes into the rest of the body. Control characters and bidirectional overrides are removed.
//
// How: prose is split into code spans and text, exactly as CommonMark pairs backtick runs on one line. Code spans
// render nothing, so they stay as written; every other character that has a meaning in Markdown is escaped. A backtick
// left unpaired on its line is escaped too, so GitHub cannot pair it across lines differently than this module did.

import { redact } from "../logs/redact.js";

import { headOf, tailOf } from "./cut-text.js";

const ZWSP = "\u200b";

/** C0/C1 controls except tab and newline, bidirectional overrides/isolates, and BOMs. */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]/g;

/** Lines longer than this are cut before any regex sees them. */
const MAX_LINE = 10_000;

/** Fenced-block languages GitHub renders as something other than code (diagrams, maps, 3D models, math). */
const RENDERED_LANGUAGES = new Set(["mermaid", "geojson", "topojson", "stl", "math", "plantuml"]);

/** Breaks every `<!--` / `-->` so no HTML comment (and so no marker) can be formed from this text. */
export function breakHtmlComments(s: string): string {
  return s.replace(/<!--/g, `<!-${ZWSP}-`).replace(/--!?>/g, (m) => `-${ZWSP}${m.slice(1)}`);
}

/** `@name` → `@\u200bname`: still readable, no longer a mention. */
export function neutralizeMentions(s: string): string {
  return s.replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`);
}

/** Mentions, issue references and closing keywords, defused with invisible breaks (for text outside code). */
function defuseReferences(s: string): string {
  return defuseClosingKeywords(neutralizeMentions(s))
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/\b(GH)-(?=\d)/gi, `$1-${ZWSP}`);
}

function defuseClosingKeywords(s: string): string {
  return s.replace(CLOSING_KEYWORD, (m) => `${m[0]}${ZWSP}${m.slice(1)}`);
}

/** "Closes #1", "fixes: https://github.com/o/r/issues/1": GitHub closes the issue when the change merges. */
const CLOSING_KEYWORD = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?=:?\s+(?:#|GH-|https?:|[\w.-]+\/[\w.-]+#))/gi;

/** Secrets out, invisible and control characters out, line endings normalised, over-long lines cut. */
function clean(s: string): string {
  return redact(s)
    .replace(/\r\n?/g, "\n")
    .replace(INVISIBLE, "")
    .split("\n")
    .map((l) => (l.length > MAX_LINE ? `${headOf(l, MAX_LINE)}…` : l))
    .join("\n");
}

/** "owner/name" → the prefix of that repository's own pages on github.com. */
function ownPagesPrefix(repo: string | undefined): string | undefined {
  if (!repo || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) return undefined;
  return `https://github.com/${repo.toLowerCase()}`;
}

/** Whether `url` is one of the repository's own pages (no dot segments, no encoded ones, no credentials). */
export function isOwnPage(url: string, repo: string | undefined): boolean {
  const prefix = ownPagesPrefix(repo);
  if (!prefix) return false;
  const lower = url.toLowerCase();
  if (!lower.startsWith(prefix)) return false;
  const rest = lower.slice(prefix.length);
  if (rest !== "" && !/^[/?#]/.test(rest)) return false;
  return !/(?:^|\/)\.\.?(?:[/?#]|$)|%2e|%2f|%5c|\\|[\s<>"'`]/.test(rest);
}

/** Escapes every Markdown-significant character of text outside code: nothing in it can start markup. */
function escapeText(s: string): string {
  const escaped = s
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([`[\]|])/g, "\\$1");
  return defuseReferences(escaped);
}

// An inline link or image `[label](dest "title")`, or a bare URL / www. autolink as GitHub would find it.
const LINK_OR_URL =
  /(!?)\[([^[\]\n]{0,500})\]\(\s*<?([^\s<>()]{0,2000})>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)|\b(?:(?:https?|ftp):\/\/|www\.)[^\s<>"'`]+/gi;

/** Text outside code: links and images taken apart (the URL shown as code unless it is the repository's own), the rest escaped. */
function safeTextSegment(raw: string, repo: string | undefined): string {
  // Hidden comments go (they are never meant to be seen); closing keywords are defused before the split, which would
  // put the keyword and the URL it names in different pieces.
  const s = defuseClosingKeywords(raw.replace(/<!--[\s\S]*?(?:-->|$)/g, ""));
  let out = "";
  let last = 0;
  for (const m of s.matchAll(LINK_OR_URL)) {
    let whole = m[0];
    const at = m.index ?? 0;
    out += escapeText(s.slice(last, at));
    if (m[3] !== undefined) {
      const [, bang, label, url] = m as unknown as [string, string, string, string];
      const text = safeTextSegment(label, undefined) || "link";
      if (!bang && isOwnPage(url, repo)) out += `[${text}](${url})`;
      else out += `${text} (${bang ? "image not shown: " : ""}${url ? inlineCode(url) : "no URL"})`;
    } else {
      // Trailing punctuation is not part of an autolink.
      const trail = /[.,:;!?)\]}*_~]+$/.exec(whole)?.[0] ?? "";
      whole = whole.slice(0, whole.length - trail.length);
      out += isOwnPage(whole, repo) ? whole : inlineCode(whole);
      out += escapeText(trail);
    }
    last = at + m[0].length;
  }
  return out + escapeText(s.slice(last));
}

/** One line of prose: code spans (paired as CommonMark pairs them) kept, everything else made inert. */
function safeProseLine(line: string, repo: string | undefined): string {
  let out = "";
  let textStart = 0;
  // For each run length, the position from which no closer of that length exists (so each length is searched once).
  const noCloserFrom = new Map<number, number>();
  let i = 0;
  while (i < line.length) {
    if (line[i] !== "`") {
      i++;
      continue;
    }
    let k = i;
    while (line[k] === "`") k++;
    const run = k - i;
    const known = noCloserFrom.get(run);
    const close = known !== undefined && k >= known ? -1 : findCloser(line, k, run);
    if (close < 0) {
      noCloserFrom.set(run, k);
      i = k;
      continue;
    }
    // Code spans render nothing (no mention, link or reference inside one), so they are kept as written; only comment
    // openers are broken, as everywhere, so ci-medic's markers cannot be forged as plain text either.
    out += safeTextSegment(line.slice(textStart, i), repo);
    out += breakHtmlComments(line.slice(i, close + run));
    i = close + run;
    textStart = i;
  }
  return out + safeTextSegment(line.slice(textStart), repo);
}

/** Start of the next backtick run of exactly `run` characters from `from`, or -1. */
function findCloser(line: string, from: number, run: number): number {
  let i = line.indexOf("`", from);
  while (i >= 0) {
    let k = i;
    while (line[k] === "`") k++;
    if (k - i === run) return i;
    i = line.indexOf("`", k);
  }
  return -1;
}

/** A single line of untrusted text (a job name, a reason), safe in prose. */
export function safeInline(s: string, repo?: string): string {
  return safeProseLine(clean(s).replace(/\s+/g, " ").trim(), repo);
}

/** Untrusted text as inline code (step names, branches, paths): backticks cannot end the span, nothing inside renders. */
export function inlineCode(s: string): string {
  const text = breakHtmlComments(redact(s).replace(INVISIBLE, "").replace(/\s+/g, " ").trim()) || " ";
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fence longer than any backtick run in `s` (at least three), so the text cannot close it. */
export function fenceFor(s: string): string {
  let longest = 0;
  for (const m of s.matchAll(/`{3,}/g)) longest = Math.max(longest, m[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

/** The language word of a fence, reduced to a harmless one (GitHub renders some languages as diagrams or maps). */
function safeInfo(info: string): string {
  const word = /^[A-Za-z0-9_+#.-]{1,30}/.exec(info.trim())?.[0] ?? "";
  return RENDERED_LANGUAGES.has(word.toLowerCase()) ? "text" : word;
}

/** A fenced code block of untrusted text: secrets redacted, nothing inside can close the fence. */
export function codeBlock(s: string, info = ""): string {
  const text = breakHtmlComments(clean(s)).replace(/\n+$/, "");
  const fence = fenceFor(text);
  return `${fence}${safeInfo(info)}\n${text}\n${fence}`;
}

/**
 * Multi-line Markdown from an untrusted source. Fenced code blocks stay code (a backtick fence whose info string holds
 * a backtick is not a fence, as in CommonMark); only fences at column 0 are taken as fences, so a fence GitHub would
 * close early (inside a list item) is never trusted; a fence left open is closed. Everything else is prose.
 */
export function safeMarkdown(s: string, repo?: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of clean(s).split("\n")) {
    if (fence === undefined) {
      const opener = /^(`{3,})([^`]*)$|^(~{3,})(.*)$/.exec(line);
      if (opener) {
        fence = (opener[1] ?? opener[3])!;
        out.push(`${fence}${safeInfo(opener[2] ?? opener[4] ?? "")}`);
      } else out.push(safeProseLine(line, repo));
    } else {
      const closer = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (closer && closer[1]![0] === fence[0] && closer[1]!.length >= fence.length) {
        out.push(fence);
        fence = undefined;
      } else out.push(breakHtmlComments(line));
    }
  }
  if (fence !== undefined) out.push(fence);
  return out.join("\n");
}

/**
 * Text GitHub shows without Markdown (titles, commit messages): one line, no controls, no mentions, no issue
 * references or closing keywords, no entity that could decode to one.
 */
export function plainLine(s: string, max = 200): string {
  const text = defuseReferences(
    redact(s)
      .replace(INVISIBLE, " ")
      .replace(/\s+/g, " ")
      .replace(/&(?=#|[A-Za-z]+;)/g, `&${ZWSP}`)
      .trim(),
  );
  return cutEnd(breakHtmlComments(text), max);
}

/** A link only when the URL is an http(s) URL; the label is made safe. The URL must come from GitHub, not from text. */
export function link(label: string, url: string | undefined | null): string {
  const text = safeInline(label) || "link";
  if (!url || !/^https?:\/\/[^\s<>()"'`]+$/.test(url)) return text;
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
