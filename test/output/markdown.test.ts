import { describe, expect, it } from "vitest";
import { codeBlock, inlineCode, isOwnPage, plainLine, safeInline, safeMarkdown } from "../../src/output/markdown.js";

const REPO = "Codertocat/Hello-World";
const ZWSP = "\u200b";

/** No live mention, image, HTML, foreign link or reference can be read off the text (outside code spans it keeps). */
function expectInert(out: string) {
  expect(out).not.toMatch(/(^|[^\w`])@[A-Za-z0-9]/);
  expect(out).not.toMatch(/<(?:img|a|script|details|pre|code)\b/i);
  expect(out).not.toMatch(/(?<!\\)!\[/);
  expect(out).not.toMatch(/\]\(https?:\/\/(?!github\.com\/codertocat\/hello-world)/i);
  expect(out).not.toMatch(/&#(?:64|x40);|&commat;/);
}

describe("safeInline: a path chosen by the model, echoed in a refusal", () => {
  it("renders no mention, image or link", () => {
    const out = safeInline(
      "docs/@octocat <img src=https://evil.example/x.png> [Sign in](https://evil.example/login).md",
    );
    expectInert(out);
    expect(out).toContain(`@${ZWSP}octocat`);
    expect(out).toContain("&lt;img");
    expect(out).toContain("Sign in (`https://evil.example/login`)");
  });
});

describe("safeMarkdown", () => {
  it("does not take a backtick fence whose info string holds a backtick for a fence", () => {
    const out = safeMarkdown("```x`\n@octocat ![pixel](https://evil.example/p.png)\n<img src=x>");
    expectInert(out);
    expect(out).not.toMatch(/^```/m);
  });

  it("keeps a real fence as code and closes one left open", () => {
    const out = safeMarkdown("Run this:\n```sh\nnpm ci @scope/pkg\n```\nthen @octocat");
    expect(out).toContain("```sh\nnpm ci @scope/pkg\n```");
    expect(out).toContain(`then @${ZWSP}octocat`);
    expect(safeMarkdown("~~~\nopen")).toBe("~~~\nopen\n~~~");
  });

  it("does not trust an indented fence that a list item would close early", () => {
    const out = safeMarkdown("- item\n  ```\n@octocat ![x](https://evil.example/x.png)\n  ```");
    expectInert(out);
  });

  it("renders foreign links and bare URLs as code, keeps the repository's own pages", () => {
    const out = safeMarkdown(
      `[Re-authorize ci-medic](https://evil.example/oauth) or visit https://evil.example/login, www.evil.example and [the run](https://github.com/${REPO}/actions/runs/1).`,
      REPO,
    );
    expectInert(out);
    expect(out).toContain("Re-authorize ci-medic (`https://evil.example/oauth`)");
    expect(out).toContain("`https://evil.example/login`,");
    expect(out).toContain("`www.evil.example`");
    expect(out).toContain(`[the run](https://github.com/${REPO}/actions/runs/1)`);
  });

  it("never renders an image, not even from the repository's own pages", () => {
    const out = safeMarkdown(`![logo](https://github.com/${REPO}/raw/main/logo.png)`, REPO);
    expect(out).not.toMatch(/(?<!\\)!\[/);
    expect(out).toContain("image not shown");
  });

  it("defuses entity-encoded mentions", () => {
    for (const s of ["&#64;octocat", "&#x40;octocat", "&commat;octocat"]) {
      const out = safeMarkdown(`hello ${s}`);
      expect(out).toMatch(/^hello &amp;(?:#|commat)/);
      expect(out).not.toMatch(/(?<!&amp;)(?:&#|&commat;)/);
    }
  });

  it("defuses issue references and closing keywords", () => {
    const out = safeMarkdown(`closes #1, see owner/repo#2 and GH-3; fixes https://github.com/${REPO}/issues/4`, REPO);
    expect(out).not.toMatch(/#\d/);
    expect(out).not.toMatch(/GH-\d/);
    expect(out).not.toMatch(/\b(?:closes|fixes) /i);
  });

  it("redacts secrets before posting", () => {
    const out = safeMarkdown(
      `key AKIA${"Q7ZX".repeat(4)} token ghp_${"a1B2c3".repeat(6)} sk_live_${"4eC39Hq".repeat(4)}\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----`,
    );
    expect(out).not.toMatch(/AKIA[A-Z0-9]{16}|ghp_[A-Za-z0-9]{20}|sk_live_4eC|MIIB/);
    expect(out).toContain("[REDACTED:");
  });

  it("keeps code spans as written and pairs them on one line only", () => {
    expect(safeMarkdown("Run `npm i pkg@1.2.3` again")).toBe("Run `npm i pkg@1.2.3` again");
    // GitHub could pair the first backtick with one on the next line, leaving "@octocat" outside code: an unpaired
    // backtick is escaped, so GitHub pairs exactly the spans this module kept.
    expect(safeMarkdown("a `b\nc` @octocat `d`")).toBe("a \\`b\nc` @octocat `d\\`");
  });

  it("cannot form a table whose cells split a code span", () => {
    const out = safeMarkdown("| `x | @octocat | y` |\n|---|---|---|");
    expect(out.split("\n")[1]).toBe("\\|---\\|---\\|---\\|");
  });

  it("makes a diagram fence plain code", () => {
    expect(safeMarkdown("```mermaid\ngraph TD\n```")).toBe("```text\ngraph TD\n```");
  });
});

describe("plainLine: titles and commit subjects", () => {
  it("defuses mentions, references, closing keywords and entities", () => {
    const out = plainLine("Fix CI: closes #1 for @octocat (owner/repo#2, GH-3) &#64;x\nsecond line");
    expect(out).not.toMatch(/#\d|GH-\d|@[a-z]|&#64;|\n/);
    expect(out).not.toMatch(/\bcloses /);
  });
});

describe("codeBlock and inlineCode", () => {
  it("cannot be closed by the text and redacts secrets", () => {
    const out = codeBlock(`\`\`\`\n@octocat\n\`\`\`\`\nghp_${"a1B2c3".repeat(6)}`, "text");
    expect(out.startsWith("`````text\n")).toBe(true);
    expect(out.endsWith("\n`````")).toBe(true);
    expect(out).toContain("[REDACTED:github-token]");
    expect(inlineCode("a`b")).toBe("``a`b``");
  });
});

describe("isOwnPage", () => {
  it("accepts only the repository's own github.com pages", () => {
    expect(isOwnPage(`https://github.com/${REPO}/pull/1`, REPO)).toBe(true);
    expect(isOwnPage(`https://github.com/${REPO}`, REPO)).toBe(true);
    expect(isOwnPage(`https://github.com/${REPO}-evil/x`, REPO)).toBe(false);
    expect(isOwnPage(`https://github.com/${REPO}/../../evil/x`, REPO)).toBe(false);
    expect(isOwnPage(`https://github.com/${REPO}/%2e%2e/x`, REPO)).toBe(false);
    expect(isOwnPage("https://github.com.evil.example/x", REPO)).toBe(false);
    expect(isOwnPage(`https://github.com/${REPO}/x`, undefined)).toBe(false);
  });
});
