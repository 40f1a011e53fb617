/** Text from a comment, safe to echo in one line of ours: no control characters, HTML, mentions or Markdown links. */
export function sanitizeInline(text: string, max = 300): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .replace(/<!--|-->|[<>]/g, "")
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/[[\]]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, max);
}
