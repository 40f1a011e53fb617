import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { evalErrorformat, scoreAll } from "../../../src/eval/errorformat.js";

// Real tool outputs from reviewdog/errorformat (MIT) in the shared data folder; a fresh clone has none.
const dataRoot = path.resolve(import.meta.dirname, "../../../../shared/data");
const present = existsSync(path.join(dataRoot, "errorformat", "fmts", "testdata"));
if (!present) console.warn(`skipping errorformat evaluation: ${dataRoot}/errorformat not found`);

describe.skipIf(!present)("errorformat evaluation (shared data)", () => {
  it("reaches 95% precision and recall on every supported tool", async () => {
    const scores = await scoreAll(dataRoot);
    if (process.env.CI_MEDIC_EVAL_VERBOSE === "1") console.log((await evalErrorformat(dataRoot)).markdown);
    const weak = (scores?.supported ?? []).filter((s) => s.precision < 0.95 || s.recall < 0.95);
    expect(weak).toEqual([]);
    expect(scores?.supported.length).toBeGreaterThanOrEqual(15);
  });
});

describe("errorformat evaluation without data", () => {
  it("says it skipped when the folder is absent", async () => {
    const { markdown } = await evalErrorformat("/nonexistent/data-root");
    expect(markdown).toMatch(/skipped: .*not found/);
  });
});
