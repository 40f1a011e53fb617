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

  // A Travis-style log: the runner's worker and system information (tool versions, `zip -v`'s banner) precede the
  // first command it echoes; a short job's tail reaches back into them.
  const travisPreamble = [
    "Worker information",
    "hostname: worker-42",
    "Build system information",
    "Build language: clojure",
    "zip version",
    "Copyright (c) 1990-2008 Info-ZIP - Type 'zip \"-L\"' for software license.",
    "This is Zip 3.0 (July 5th 2008), by Info-ZIP.",
    "Encryption notice:",
    "\tThe encryption code of this program is not copyrighted and is",
    "\tput in the public domain.  It was originally written in Europe",
    "\tand, to the best of our knowledge, can be freely distributed",
    "\tthe USA under License Exception TSU of the U.S. Export",
    "CouchDB version",
    "couchdb 1.6.1",
    "Redis version",
    "redis-server 4.0.6",
  ];

  it("does not open with the runner's preamble, nor with a vague word in it, when the tail reaches back into it", async () => {
    const log = [
      ...travisPreamble,
      "$ git clone --depth=50 https://github.com/octo/app.git octo/app",
      "Cloning into 'octo/app'...",
      "$ lein test",
      "Testing app.core-test",
      "FAIL in (adds-test) (core_test.clj:7)",
      "expected: (= 4 (add 2 3))",
      "  actual: (not (= 4 5))",
      "Ran 1 tests containing 1 assertions.",
      "1 failures, 0 errors.",
      'The command "lein test" exited with 1.',
      "Done. Your build exited with 1.",
    ].join("\n");
    const r = await analyzeLog(log);
    const first = r.excerpt.split("\n").find((l) => !l.startsWith("… "));
    expect(first).toBe("$ git clone --depth=50 https://github.com/octo/app.git octo/app");
    expect(r.excerpt).not.toContain("License Exception");
    expect(r.excerpt).not.toContain("couchdb 1.6.1");
    expect(r.excerpt).toContain("FAIL in (adds-test) (core_test.clj:7)");
    expect(r.excerpt).toContain('The command "lein test" exited with 1.');
  });

  it("keeps an unmistakable error the runner printed before the first command", async () => {
    const log = [
      ...travisPreamble,
      "ERROR: could not mount the build cache: No space left on device",
      ...Array.from({ length: 30 }, (_, i) => `Build image provisioning note ${i}`),
      "$ ./build.sh",
      "building",
      'The command "./build.sh" exited with 1.',
    ].join("\n");
    const r = await analyzeLog(log);
    expect(r.excerpt).toContain("ERROR: could not mount the build cache: No space left on device");
    expect(r.excerpt).not.toContain("License Exception");
  });

  // Errors that name root or a licence, as noise does (`running as root`, `copyright`, `licensed under`), but are
  // the failure itself.
  const rootAndLicenceErrors = [
    "java.lang.RuntimeException: can not run elasticsearch as root",
    "initdb: error: cannot be run as root",
    '0 [ERROR] [MY-010123] [Server] Fatal error: Please read "Security" section of the manual to find out how to run mysqld as root!',
    "ERROR: Running Chrome as root without --no-sandbox is not supported. See https://crbug.com/638180.",
    "Error: Missing copyright header in src/foo.c",
    "[ERROR] Dependency org.example:lib:1.0 is licensed under GNU General Public License v3, which is not allowed",
  ];

  it("keeps an unmistakable error that reads like a root warning or a licence notice at the head of the excerpt", async () => {
    const missing: string[] = [];
    for (const error of rootAndLicenceErrors) {
      const log = [
        "ES_JAVA_OPTS=-Xms512m",
        "ES_HOME=/usr/share/elasticsearch",
        "+ export DISCOVERY_TYPE=single-node",
        error,
        "\tat org.example.Main.main(Main.java:12)",
        "Done. Your build exited with 1.",
      ].join("\n");
      const r = await analyzeLog(log);
      if (!r.excerpt.split("\n").includes(error)) missing.push(error);
      expect(r.excerpt, error).not.toContain("ES_HOME");
    }
    expect(missing, missing.join(" | ")).toEqual([]);
  });

  it("keeps such an error when noise surrounds it, far from the step's last lines", async () => {
    const missing: string[] = [];
    for (const error of rootAndLicenceErrors) {
      const log = [
        "ES_JAVA_OPTS=-Xms512m",
        "ES_HOME=/usr/share/elasticsearch",
        error,
        ...Array.from(
          { length: 200 },
          (_, i) => `Get:${i + 1} http://archive.ubuntu.com/ubuntu jammy/main amd64 p${i} 1.0 [2 kB]`,
        ),
        "Done. Your build exited with 1.",
      ].join("\n");
      const r = await analyzeLog(log);
      if (!r.excerpt.split("\n").includes(error)) missing.push(error);
    }
    expect(missing, missing.join(" | ")).toEqual([]);
  });

  it("takes a tool's late `$ cmd` echo for no end of a preamble", async () => {
    const log = [
      "Started by an SCM change",
      ...Array.from({ length: 1200 }, (_, i) => `[INFO] Building module-${i}`),
      "[INFO] FooTest.bar failed to connect to the database",
      ...Array.from({ length: 300 }, (_, i) => `[INFO] step ${i}`),
      "$ jest --ci",
      "Tests: 3 passed, 3 total",
      "Finished: FAILURE",
    ].join("\n");
    const r = await analyzeLog(log);
    expect(r.excerpt).toContain("[INFO] FooTest.bar failed to connect to the database");
  });

  it("does not open with package manager progress or an environment dump", async () => {
    const log = [
      "##[group]Run ./ci.sh",
      "./ci.sh",
      "##[endgroup]",
      "+ export NODE_ENV=test",
      "Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease [270 kB]",
      "Reading package lists...",
      "Downloading http-errors-1.7.2.tgz",
      ...Array.from({ length: 400 }, (_, i) => `step ${i} ok`),
      "Error: cannot find module './config'",
      "##[error]Process completed with exit code 1.",
    ].join("\n");
    const r = await analyzeLog(log);
    const lines = r.excerpt.split("\n").filter((l) => !l.startsWith("… "));
    expect(lines[0]).toBe("##[group]Run ./ci.sh");
    expect(r.excerpt).not.toContain("http-errors");
    expect(r.excerpt).toContain("Error: cannot find module './config'");
  });
});
