import { randomBytes } from "node:crypto";

// Untrusted text (logs, workflow files, repository files) goes to the model inside blocks whose delimiters carry a
// random nonce, so text inside a block cannot close it early: whatever a log prints, it cannot guess the nonce, and
// any occurrence of the nonce is removed from the data anyway.

export function newNonce(): string {
  return randomBytes(8).toString("hex");
}

export function openTag(nonce: string): string {
  return `<<<DATA-${nonce}>>>`;
}

export function closeTag(nonce: string): string {
  return `<<<END-DATA-${nonce}>>>`;
}

/** Remove the nonce wherever it appears, so no delimiter carrying it can be formed from the data. */
export function stripNonce(text: string, nonce: string): string {
  let out = text;
  const re = new RegExp(nonce, "gi");
  // Removing one occurrence can join two halves into a new one ("3f3f9a9a" minus "3f9a"): repeat until stable.
  for (let prev = ""; prev !== out; ) {
    prev = out;
    out = out.replace(re, "");
  }
  return out;
}

export function dataBlock(label: string, content: string, nonce: string): string {
  return `${openTag(nonce)} ${label}\n${stripNonce(content, nonce)}\n${closeTag(nonce)}`;
}

/** Keep the head and the tail; the end of a log usually holds the error, the head its context. */
export function capMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 200) return text.slice(0, max);
  const marker = `\n[… ${text.length - max} characters cut …]\n`;
  const head = Math.floor((max - marker.length) * 0.3);
  const tail = max - marker.length - head;
  return text.slice(0, head) + marker + text.slice(text.length - tail);
}
