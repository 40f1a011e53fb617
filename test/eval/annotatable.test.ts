import { describe, expect, it } from "vitest";
import { annotatableLine } from "../../src/eval/annotatable.js";

describe("annotatableLine", () => {
  it("finds a located diagnostic, a location line under an error header, and a failed test's in-repo frame", () => {
    expect(
      annotatableLine([
        "> ng test",
        "Error: src/app/app.component.spec.ts:72:53 - error TS2345: Argument of type 'number' is not assignable",
      ]),
    ).toMatch(/^Error: src\/app/);
    expect(
      annotatableLine([
        '✘ [ERROR] Could not resolve "@swimlane/ngx-charts"',
        "",
        "    src/app/error-dashboard.component.ts:23:32:",
        "      23 │ import { NgxChartsModule } from '@swimlane/ngx-charts';",
      ]),
    ).toBe("    src/app/error-dashboard.component.ts:23:32:");
    expect(
      annotatableLine([
        "Chrome Headless 135.0.0.0 (Linux x86_64) CardGridComponent should render FAILED",
        "\tError: NG0303: Can't bind to 'itemTemplate'",
        "\t    at reportUnknownPropertyError (node_modules/@angular/core/fesm2022/core.mjs:11225:15)",
        "\t    at templateFn (ng:///TestHostComponent.js:42:47)",
        "\t    at UserContext.apply (src/app/card-grid.component.spec.ts:527:31)",
      ]),
    ).toBe("\t    at UserContext.apply (src/app/card-grid.component.spec.ts:527:31)");
  });

  it("passes over what names no place in the repository's own code", () => {
    // An API error logged by an in-repo script, console output of passing tests, dependencies, actions, Go's cache.
    expect(
      annotatableLine([
        "Error in main process: RequestError [HttpError]: API rate limit exceeded for installation.",
        "    at /home/runner/work/app/app/node_modules/@octokit/request/dist-node/index.js:122:21",
        "    at async main (/home/runner/work/app/app/fetch-workflow-logs.js:24:31) {",
        "  ● Console",
        "    console.error",
        "      Error: wallet not found",
        "      at log (tests/setup.js:57:11)",
        "    at async main (/home/runner/work/_actions/actions/github-script/v7/dist/index.js:35522:20) {",
        "fatal error: all goroutines are asleep - deadlock!",
        "\tgithub.com/evanw/esbuild/internal/helpers/waitgroup.go:36",
        'npm error Missing script: "test:integration"',
      ]),
    ).toBeUndefined();
  });
});
