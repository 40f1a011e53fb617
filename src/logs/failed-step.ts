// Which step failed: the jobs API knows the names, the raw log knows the structure; join the two.

import type { Segment } from "./collector.js";
import type { StepInfo } from "./types.js";

export interface FailedSteps {
  segments: Segment[];
  names: string[];
}

const firstLine = (s: string | undefined) => (s ?? "").split("\n", 1)[0]!.trim();

function failedInLog(s: Segment): boolean {
  return s.exitCode !== undefined || s.errorCount > 0;
}

function matchesName(seg: Segment, name: string): boolean {
  const n = name.trim();
  return (
    seg.name === n ||
    seg.name === `Run ${n}` ||
    firstLine(seg.command) === n ||
    (n.startsWith("Run ") && firstLine(seg.command) === n.slice(4))
  );
}

export function findFailedSteps(segments: Segment[], steps?: StepInfo[]): FailedSteps {
  const erroring = segments.filter(failedInLog);
  const failedApi = (steps ?? []).filter((s) => s.conclusion === "failure").sort((a, b) => a.number - b.number);
  if (failedApi.length > 0) {
    const chosen: Segment[] = [];
    failedApi.forEach((step, k) => {
      const byName = segments.filter((s) => matchesName(s, step.name));
      // A name can repeat (two `Run npm test` steps): the one that errored is the one.
      const seg = byName.find(failedInLog) ?? byName[0] ?? erroring[k] ?? erroring[erroring.length - 1];
      if (seg && !chosen.includes(seg)) chosen.push(seg);
    });
    if (chosen.length === 0) chosen.push(...fromStructure(segments));
    return { segments: chosen, names: failedApi.map((s) => s.name) };
  }
  const found = fromStructure(segments);
  return { segments: found, names: found.map((s) => s.name).filter((n) => n !== "(log start)") };
}

function fromStructure(segments: Segment[]): Segment[] {
  const withExit = segments.filter((s) => s.exitCode !== undefined);
  if (withExit.length > 0) return withExit;
  const withError = segments.filter((s) => s.errorCount > 0);
  if (withError.length > 0) return withError;
  const withStrong = segments.filter(
    (s) => s.strongCount > 0 && s.name !== "Post job cleanup" && s.name !== "Complete job",
  );
  if (withStrong.length > 0) return [withStrong[withStrong.length - 1]!];
  const real = segments.filter((s) => s.name !== "Post job cleanup" && s.name !== "Complete job");
  const last = real[real.length - 1] ?? segments[segments.length - 1];
  return last ? [last] : [];
}
