// Cutting text to GitHub's length limits without splitting a character. Lengths are JavaScript string lengths (UTF-16
// code units): a text that fits by that measure fits whether GitHub counts code units or code points. The cut itself
// moves back to a code point boundary, so an emoji or any other character outside the Basic Multilingual Plane is
// kept whole or dropped whole, never left as half a surrogate pair (which GitHub shows as U+FFFD).

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The longest start of `s` of at most `max` code units that ends on a code point boundary. */
export function headOf(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max);
  if (end > 0 && isHighSurrogate(s.charCodeAt(end - 1)) && isLowSurrogate(s.charCodeAt(end))) end--;
  return s.slice(0, end);
}

/** The longest end of `s` of at most `max` code units that starts on a code point boundary. */
export function tailOf(s: string, max: number): string {
  if (s.length <= max) return s;
  let start = s.length - Math.max(0, max);
  if (start < s.length && isLowSurrogate(s.charCodeAt(start)) && isHighSurrogate(s.charCodeAt(start - 1))) start++;
  return s.slice(start);
}
