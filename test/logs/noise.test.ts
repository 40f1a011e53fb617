import { describe, expect, it } from "vitest";
import { anchorStrength } from "../../src/logs/anchors.js";
import { isNoise } from "../../src/logs/noise.js";

describe("isNoise", () => {
  it("names what a person skips: banners, licences, system and environment dumps, sudo, package progress", () => {
    const noise = [
      // `zip -v`, `gcc --version`, `sudo -V` and Travis' system information
      "\tand, to the best of our knowledge, can be freely distributed",
      "\tthe USA under License Exception TSU of the U.S. Export",
      "Copyright (C) 2007, 2010, 2011 Free Software Foundation, Inc.",
      "This is free software; see the source for copying conditions.  There is NO",
      "\tZIP64_SUPPORT        (use Zip64 to store large files in archives)",
      "Zip special compilation options:",
      "Sudoers policy plugin version 1.8.16",
      "Authentication failure message: Sorry, try again.",
      "git version 2.15.1",
      "Pre-installed PostgreSQL versions",
      "Runtime kernel version: 4.4.0-101-generic",
      "firefox 56.0.2",
      "ruby 2.4.1p111 (2017-03-22 revision 58053) [x86_64-linux]",
      "+dialog_con      -lua             +rightleft       +windows",
      "Worker information",
      "Build system information",
      "Setting environment variables from .travis.yml",
      "Current runner version: '2.323.0'",
      "$ export CODECOV_TOKEN=[secure]",
      "++export 'GIT_PROVE_OPTS=--timer --jobs 3 --state=failed,slow,save'",
      "+R_BUILD_ARGS='--no-build-vignettes --no-manual'",
      "JAVA_HOME=/usr/lib/jvm/java-8-openjdk-amd64",
      "WARNING: You're currently running as root; probably by accident.",
      "Press control-C to abort or Enter to continue as root.",
      "New minor version of npm available! 10.2.4 -> 10.5.0",
      // package managers, VCS, images
      "Get:5 http://archive.ubuntu.com/ubuntu jammy/main amd64 libfailure-dev amd64 1.2 [20.1 kB]",
      "Preparing to unpack .../35-manpages_4.15-1_all.deb ...",
      "Downloading http-errors-1.7.2.tgz",
      "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/x/errors-1.0.pom (2 kB at 10 kB/s)",
      "Retrieving org/clojure/pom.contrib/0.0.20/pom.contrib-0.0.20.pom from central",
      "  Downloaded utf8-ranges v1.0.3",
      "npm WARN deprecated graceful-fs@3.0.11: please upgrade to graceful-fs 4",
      "Receiving objects:  57% (426/746)",
      " * [new tag]             v3.7.0-rc.2                 -> v3.7.0-rc.2",
      "Removing: /Users/travis/Library/Caches/Homebrew/p11-kit--0.23.15.mojave.bottle.tar.gz... (695.4KB)",
      "Digest: sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1",
      "│ │ ├─┬ debug@4.3.4",
      "Resolving github.com (github.com)... 140.82.112.3",
      "HTTP request sent, awaiting response... 200 OK",
      "npm notice created a lockfile as package-lock.json. You should commit this file.",
    ];
    for (const line of noise) expect(isNoise(line), line).toBe(true);
  });

  it("leaves failures alone, even when they mention a licence, a version, a download or root", () => {
    const errors = [
      "Failed to validate license key",
      "npm ERR! license should be a valid SPDX license expression",
      "Python version 2.7 is not supported",
      "gcc 5.4.0 failed to compile x.c",
      "Err:7 http://archive.ubuntu.com/ubuntu jammy/main amd64 libssl 404 Not Found",
      "src/app.ts:72:53 - error TS2345: Argument of type 'number' is not assignable",
      "sudo: a terminal is required to read the password",
      "user is not in the sudoers file.  This incident will be reported.",
      "$ npm test",
      "error: failed to push some refs to 'https://github.com/o/r'",
      "Setting up mysql-server-8.0 (8.0.36) failed",
      "Downloading artifact 'dist' failed: 404 Not Found",
      "HTTP request sent, awaiting response... 404 Not Found",
    ];
    for (const line of errors) expect(isNoise(line), line).toBe(false);
  });

  it("makes a vague error word in a noise line no anchor; an unmistakable error stays one", () => {
    expect(anchorStrength("\tthe USA under License Exception TSU of the U.S. Export")).toBe(0);
    expect(anchorStrength("Authentication failure message: Sorry, try again.")).toBe(0);
    expect(anchorStrength("Downloading http-errors-1.7.2.tgz")).toBe(0);
    expect(anchorStrength("WARNING: You're currently running as root; probably by accident.")).toBe(0);
    expect(anchorStrength("Failed to validate license key")).toBe(2);
    expect(anchorStrength("Error: Copyright header missing in src/a.ts")).toBe(3);
  });

  it("keeps a licence check's or a root refusal's own failure report an anchor", () => {
    // The same lines without "copyright" or "as root" score 2: the word must not demote them.
    expect(anchorStrength("License check failed: 3 files are missing a header")).toBe(2);
    const reports = [
      "License check failed: 3 files are missing a copyright header",
      "Copyright check failed for src/a.ts",
      "Failed to accept the license agreement for build-tools;34.0.0",
      "Service start failed: refusing to run as root",
    ];
    for (const line of reports) {
      expect(isNoise(line), line).toBe(false);
      expect(anchorStrength(line), line).toBe(2);
    }
    // Unmistakable errors worded like licence text or root warnings are no noise either.
    for (const line of [
      "initdb: error: cannot be run as root",
      "java.lang.RuntimeException: can not run elasticsearch as root",
      "ERROR: Running Chrome as root without --no-sandbox is not supported. See https://crbug.com/638180.",
      "Error: Missing copyright header in src/foo.c",
    ])
      expect(isNoise(line), line).toBe(false);
  });
});
