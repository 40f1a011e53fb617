import { describe, expect, it } from "vitest";
import { anchorStrength, isBlockStart } from "../../src/logs/anchors.js";

describe("anchors: Maven Surefire/Failsafe test reports", () => {
  // Real formats: surefire 2.12 (verdict at the line end), 2.19–3.0.0-M4 (`- in <class>`), 3.x (`-- in <class>`,
  // `<class>.<method> -- Time elapsed`).
  const headers = [
    "Tests run: 3, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.087 sec <<< FAILURE!",
    "rejectsNegativeAmount(com.acme.billing.InvoiceTest)  Time elapsed: 0.012 sec  <<< ERROR!",
    "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! - in com.acme.billing.InvoiceTest",
    "[ERROR] rejectsNegativeAmount(com.acme.billing.InvoiceTest)  Time elapsed: 0.011 s  <<< FAILURE!",
    "[ERROR] Tests run: 4, Failures: 0, Errors: 2, Skipped: 0, Time elapsed: 0.312 s <<< FAILURE! -- in com.acme.billing.InvoiceTest",
    "[ERROR] com.acme.billing.InvoiceTest.rejectsNegativeAmount -- Time elapsed: 0.011 s <<< ERROR!",
  ];

  it("treats the verdict lines as unmistakable failures that open a report, despite a zero count on the line", () => {
    for (const line of headers) {
      expect(anchorStrength(line), line).toBe(3);
      expect(isBlockStart(line), line).toBe(true);
    }
  });

  it("leaves passing class lines and mere mentions of the marker alone", () => {
    expect(anchorStrength("Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.093 sec")).toBe(0);
    expect(
      anchorStrength(
        "[INFO] Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.093 s - in com.acme.billing.TaxTableTest",
      ),
    ).toBe(0);
    expect(isBlockStart("+ grep -l '<<< FAILURE!' target/surefire-reports/*.txt")).toBe(false);
  });
});

describe("anchors: failure reports without an error word", () => {
  it("treats Pester's failed test as a report header and xcpretty's ❌ as an error", () => {
    for (const line of [
      "    [-] returns a greeting without a name 21ms (17ms|4ms)",
      "[-] adds negative numbers 19ms",
    ]) {
      expect(anchorStrength(line), line).toBe(3);
      expect(isBlockStart(line), line).toBe(true);
    }
    expect(anchorStrength("    [+] returns a greeting for a name 12ms (8ms|4ms)")).toBe(0);
    expect(anchorStrength("❌  /Users/runner/work/app/app/App/Cart.swift:12:5: cannot find 'Price' in scope")).toBe(3);
  });

  it("does not take jest's console output header for a failure", () => {
    expect(anchorStrength("  ● Console")).toBe(0);
    expect(anchorStrength("  ● Cart › computes the total")).toBe(3);
  });
});
