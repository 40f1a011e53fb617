// A stable identity for "the same failure": equal across reruns and commits, different for different failures.

import { createHash } from "node:crypto";
import type { Annotation, FailureCategory } from "./types.js";

/** Masks what changes between reruns of one failure: times, ids, temp paths, durations, ports, numbers. */
export function normaliseForFingerprint(line: string): string {
  return line
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>")
    .replace(/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, "<time>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>")
    .replace(/(?:\/tmp|\/var\/folders|\/private\/var)\/[^\s:'"]*/g, "<tmp>")
    .replace(/[A-Za-z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp\\[^\s:'"]*/gi, "<tmp>")
    .replace(/\/home\/runner\/work\/[^/\s]+\/[^/\s]+\//g, "")
    .replace(/[A-Za-z]:\\a\\[^\\\s]+\\[^\\\s]+\\/g, "")
    .replace(/\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds|m|min|minutes|h|µs|us|ns)\b/g, "<dur>")
    .replace(/((?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|\]|[a-z0-9.-]+)):\d{2,5}\b/gi, "$1:<port>")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, "<hex>")
    .replace(/\d+/g, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

export interface FingerprintInput {
  failedSteps: string[];
  category: FailureCategory;
  errorLines: string[];
  annotations: Annotation[];
}

export function fingerprint(input: FingerprintInput): string {
  // Sorted and de-duplicated: parallel test runners print the same failures in a different order each run.
  const lines = [...new Set(input.errorLines.map(normaliseForFingerprint).filter((l) => l.length > 0))]
    .sort()
    .slice(0, 8);
  const pairs = [...new Set(input.annotations.map((a) => `${a.path}|${normaliseForFingerprint(a.title)}`))]
    .sort()
    .slice(0, 20);
  const signature = [
    `steps:${input.failedSteps.map(normaliseForFingerprint).join(",")}`,
    `category:${input.category}`,
    ...lines.map((l) => `line:${l}`),
    ...pairs.map((p) => `annotation:${p}`),
  ].join("\n");
  return createHash("sha256").update(signature).digest("hex");
}
