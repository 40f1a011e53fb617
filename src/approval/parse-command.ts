// Finds a ci-medic command in a comment body. Only a line of its own counts, and only outside anything Markdown shows as
// quoted or code: a maintainer quoting someone's `/approve`, or pasting a log that contains one, must not approve.

export type CommandName = "approve" | "reject" | "diagnose" | "help";

export interface Command {
  name: CommandName;
  arg: string;
}

const MAX_ARG = 500;

// Up to three leading spaces: four would make the line an indented code block.
const COMMAND = /^ {0,3}\/(approve|reject|diagnose)(?:[ \t]+(.*?))?[ \t]*$/i;
const HELP = /^ {0,3}\/ci-medic[ \t]+help[ \t]*$/i;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const QUOTE = /^ {0,3}>/;
const INDENTED = /^(?: {4}|\t)/;
// HTML elements whose content is code, preformatted or hidden until opened: a command inside one does not count,
// blank lines or not (GitHub renders Markdown inside <details> after a blank line, but it is still quoted material).
const HTML_QUOTING =
  /<\/?(pre|code|details|summary|textarea|script|style|kbd|samp|tt|blockquote|table|template)\b[^>]*>/gi;

export function parseCommand(body: string): Command | null {
  const lines = body.split(/\r\n|\r|\n/);
  let fence: { char: string; length: number } | null = null;
  let inHtmlComment = false;
  let htmlDepth = 0;

  for (const line of lines) {
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length) fence = null;
      continue;
    }
    if (inHtmlComment) {
      const close = line.indexOf("-->");
      if (close >= 0) inHtmlComment = opensHtmlComment(line.slice(close + 3));
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    // A backtick fence's info string may not contain a backtick (CommonMark), otherwise it is inline code.
    if (open?.[1] && !(open[1][0] === "`" && (open[2] ?? "").includes("`"))) {
      fence = { char: open[1][0] ?? "`", length: open[1].length };
      continue;
    }
    // An indented line is a code block after a blank line and a paragraph continuation otherwise; a command starts its
    // own line in neither, so both are skipped.
    if (QUOTE.test(line) || INDENTED.test(line)) continue;

    const inHtml = htmlDepth > 0;
    htmlDepth = Math.max(0, htmlDepth + htmlDepthChange(line));
    if (inHtml) {
      inHtmlComment = opensHtmlComment(line);
      continue;
    }
    if (HELP.test(line)) return { name: "help", arg: "" };
    const m = COMMAND.exec(line);
    if (m?.[1]) return { name: m[1].toLowerCase() as CommandName, arg: cleanArg(m[2] ?? "") };
    // An HTML comment opened on this line (at its start or later) hides the lines after it.
    inHtmlComment = opensHtmlComment(line);
  }
  return null;
}

/** Opening minus closing quoting tags on the line (self-closing ones count as neither). */
function htmlDepthChange(line: string): number {
  let change = 0;
  for (const m of line.matchAll(HTML_QUOTING)) {
    if (m[0].startsWith("</")) change--;
    else if (!m[0].endsWith("/>")) change++;
  }
  return change;
}

function opensHtmlComment(line: string): boolean {
  const open = line.lastIndexOf("<!--");
  return open >= 0 && line.indexOf("-->", open + 4) < 0;
}

function cleanArg(raw: string): string {
  return raw
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim()
    .slice(0, MAX_ARG);
}
