import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeLog } from "../../src/logs/analyze.js";

function bigFailedJob(): string {
  const out: string[] = ["##[group]Run npm ci", "npm ci", "##[endgroup]", "added 1200 packages"];
  out.push("##[group]Run npm test", "npm test", "shell: /usr/bin/bash -e {0}", "##[endgroup]");
  for (let i = 0; i < 3000; i++) out.push(`  ✓ src/module${i}.test.ts > case ${i} passes (${i % 90}ms)`);
  out.push("npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported");
  for (let i = 0; i < 2000; i++) out.push(`  ✓ src/other${i}.test.ts > case ${i} passes`);
  out.push(" FAIL  src/payments/refund.test.ts > refund > rejects a negative amount");
  out.push("AssertionError: expected 400 to be 422 // Object.is equality");
  out.push("- Expected", "+ Received", "- 422", "+ 400");
  out.push("    at src/payments/refund.test.ts:41:27");
  for (let i = 0; i < 500; i++) out.push(`  ✓ src/late${i}.test.ts > fine ${i}`);
  out.push(" Test Files  1 failed | 96 passed (97)", "      Tests  1 failed | 1163 passed (1164)");
  out.push("##[error]Process completed with exit code 1.");
  out.push("Post job cleanup.", "[command]/usr/bin/git version");
  return out.join("\n");
}

describe("excerpt", () => {
  it("keeps the failing command and the last error lines within the budget, with cut markers", async () => {
    const r = await analyzeLog(bigFailedJob(), { maxExcerptChars: 4000 });
    expect(r.excerpt.length).toBeLessThanOrEqual(4000);
    expect(r.failedCommand).toBe("npm test");
    const lines = r.excerpt.split("\n");
    expect(lines).toContain("##[group]Run npm test");
    expect(lines).toContain("##[error]Process completed with exit code 1.");
    expect(lines).toContain("      Tests  1 failed | 1163 passed (1164)");
    expect(lines).toContain("AssertionError: expected 400 to be 422 // Object.is equality");
    expect(lines).toContain("    at src/payments/refund.test.ts:41:27");
    expect(r.excerpt).toMatch(/^… [\d,]+ lines omitted …$/m);
    expect(r.truncated).toBe(true);
    // The markers count what was cut: kept lines plus omitted lines add up to the whole log.
    const omitted = lines
      .map((l) => /^… ([\d,]+) lines? omitted …$/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined);
    const kept = lines.length - omitted.length;
    expect(kept + omitted.reduce((a, n) => a + Number(n.replace(/,/g, "")), 0)).toBe(r.lineCount);
  });

  it("prefers the failed step's late, distinctive error over early repeated noise", async () => {
    const noise = Array.from({ length: 400 }, (_, i) => `error: retrying download ${i}`);
    const log = [
      "##[group]Run make",
      "make",
      "##[endgroup]",
      ...noise,
      ...Array.from({ length: 300 }, (_, i) => `compiling ${i}`),
      "src/a.c:3:5: error: unknown type name 'foo'",
      "make: *** [all] Error 1",
      "##[error]Process completed with exit code 2.",
    ].join("\n");
    const r = await analyzeLog(log, { maxExcerptChars: 1500 });
    expect(r.excerpt).toContain("src/a.c:3:5: error: unknown type name 'foo'");
    expect(r.excerpt).toContain("make: *** [all] Error 1");
    expect(r.category).toBe("compile");
  });

  it("prefers a test framework's failure report to a stack trace the code under test logged later", async () => {
    // Jenkins console of `mvn test`: InvoiceTest fails (Surefire report); ImporterTest passes but logs an exception.
    const log = fs.readFileSync(new URL("../fixtures/logs/maven-surefire-jenkins.log", import.meta.url), "utf8");
    const r = await analyzeLog(log, { maxExcerptChars: 3500 });
    const lines = r.excerpt.split("\n");
    expect(lines).toContain("Tests run: 3, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.087 sec <<< FAILURE!");
    expect(lines).toContain("rejectsNegativeAmount(com.acme.billing.InvoiceTest)  Time elapsed: 0.012 sec  <<< ERROR!");
    expect(lines).toContain("java.lang.IllegalArgumentException: amount must not be negative: -5");
    expect(lines).toContain("\tat com.acme.billing.InvoiceTest.rejectsNegativeAmount(InvoiceTest.java:44)");
    expect(lines).not.toContain('java.lang.NumberFormatException: For input string: "12,50"');
    expect(lines).toContain("Finished: FAILURE");
  });

  it("does not mark a short log as truncated when all of the failed step fits", async () => {
    const r = await analyzeLog(
      ["##[group]Run false", "false", "##[endgroup]", "##[error]Process completed with exit code 1."].join("\n"),
    );
    expect(r.truncated).toBe(false);
    expect(r.excerpt).toBe(
      ["##[group]Run false", "false", "##[endgroup]", "##[error]Process completed with exit code 1."].join("\n"),
    );
  });
});

describe("annotations in an analysis", () => {
  it("come errors first, with warnings capped, whatever order the log printed them in", async () => {
    const { MAX_WARNING_ANNOTATIONS } = await import("../../src/logs/analyze.js");
    const warnings = Array.from({ length: 30 }, (_, i) => `src/styles/s${i}.scss:${i + 1}:1: warning: deprecated`);
    const errors = Array.from({ length: 3 }, (_, i) => `src/app/e${i}.ts:${i + 1}:2 - error TS2322: bad ${i}`);
    const r = await analyzeLog([...warnings, ...errors, "##[error]Process completed with exit code 1."].join("\n"));
    expect(r.annotations.slice(0, 3).map((a) => [a.level, a.path])).toEqual(
      errors.map((_, i) => ["failure", `src/app/e${i}.ts`]),
    );
    expect(r.annotations.slice(3).every((a) => a.level === "warning")).toBe(true);
    expect(r.annotations.length).toBe(3 + MAX_WARNING_ANNOTATIONS);
  });
});

describe("noise a person skips", () => {
  it("leaves the runner's env dump out of a failed step's excerpt; the command stays", async () => {
    const log = [
      "##[group]Run node fetch.js",
      "node fetch.js",
      "shell: /usr/bin/bash -e {0}",
      "env:",
      "  CI: true",
      "  REPO_OWNER: octo-org",
      "##[endgroup]",
      "Error [ERR_PACKAGE_PATH_NOT_EXPORTED]: No exports main defined in /x/node_modules/p/package.json",
      "##[error]Process completed with exit code 1.",
    ].join("\n");
    const r = await analyzeLog(log);
    const lines = r.excerpt.split("\n");
    expect(lines[0]).toBe("##[group]Run node fetch.js");
    expect(lines).toContain("node fetch.js");
    expect(r.excerpt).not.toContain("REPO_OWNER");
    expect(r.excerpt).not.toContain("shell: /usr/bin/bash");
    expect(r.excerpt).toContain("Error [ERR_PACKAGE_PATH_NOT_EXPORTED]");
    expect(r.keyLines[0]).toMatch(/^Error \[ERR_PACKAGE_PATH_NOT_EXPORTED\]/);
  });

  it("does not open with a banner's vague word from the first lines of a long log", async () => {
    const log = [
      "Encryption notice:",
      "\tthe USA under License Exception TSU of the U.S. Export",
      "Allow some information gathering to give useful error messages",
      ...Array.from({ length: 2000 }, (_, i) => `compiling unit ${i}`),
      "src/main.c:12:5: error: expected ';' before '}' token",
      "make: *** [main.o] Error 1",
    ].join("\n");
    const r = await analyzeLog(log);
    expect(r.excerpt).not.toContain("License Exception");
    expect(r.excerpt).not.toContain("useful error messages");
    expect(r.excerpt).toContain("src/main.c:12:5: error: expected ';' before '}' token");
  });
});
