import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/approval/parse-command.js";

describe("parseCommand", () => {
  it.each([
    ["<pre>\n/approve\n</pre>"],
    ["<code>\n/approve\n</code>"],
    ["<details><summary>log</summary>\n\n/approve\n\n</details>"],
    ["<DETAILS>\n<pre>\n</pre>\n/approve\n</DETAILS>"],
  ])("ignores a command inside an HTML block: %j", (body) => {
    expect(parseCommand(body)).toBeNull();
  });

  it("reads a command after an HTML block closes", () => {
    expect(parseCommand("<details>\n/reject\n</details>\n/approve")).toEqual({ name: "approve", arg: "" });
  });

  it.each([
    ["/approve", { name: "approve", arg: "" }],
    ["/APPROVE", { name: "approve", arg: "" }],
    ["   /approve", { name: "approve", arg: "" }],
    ["/approve use the lockfile's version", { name: "approve", arg: "use the lockfile's version" }],
    ["/reject", { name: "reject", arg: "" }],
    ["/reject not a real failure  ", { name: "reject", arg: "not a real failure" }],
    ["/diagnose", { name: "diagnose", arg: "" }],
    ["/ci-medic help", { name: "help", arg: "" }],
    ["/CI-Medic   Help", { name: "help", arg: "" }],
    ["Thanks!\r\n\r\n/approve\r\n", { name: "approve", arg: "" }],
  ])("reads %j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  it.each([
    ["please /approve this", "not at the start of the line"],
    ["/approved", "a longer word"],
    ["/approve-all", "a longer word with a dash"],
    ["/ci-medic", "help needs its word"],
    ["`/approve`", "inline code"],
    ["> /approve", "a quote"],
    ["  >  /approve", "an indented quote"],
    ["> > /approve", "a nested quote"],
    ["    /approve", "an indented code block"],
    ["\t/approve", "a tab-indented code block"],
    ["```\n/approve\n```", "a fenced block"],
    ["```bash\n/approve\n```", "a fenced block with a language"],
    ["~~~\n/approve\n~~~", "a tilde fence"],
    ["`````\n````\n/approve\n`````", "a longer fence closed only by one as long"],
    ["```\nlog line\n/approve", "an unclosed fence running to the end"],
    ["<!--\n/approve\n-->", "an HTML comment"],
    ["note <!-- hidden\n/approve\n-->", "an HTML comment opened mid-line"],
    ["<!-- a -->\n<!--\n/approve\n--> <!--\n/approve\n-->", "a comment reopened on its closing line"],
    ["", "an empty body"],
  ])("ignores %j (%s)", (body) => {
    expect(parseCommand(body)).toBeNull();
  });

  it("takes the command after a closed fence", () => {
    expect(parseCommand("```\n/reject\n```\n/approve")).toEqual({ name: "approve", arg: "" });
  });

  it("does not close a backtick fence with tildes", () => {
    expect(parseCommand("```\n~~~\n/approve\n```\n/diagnose")).toEqual({ name: "diagnose", arg: "" });
  });

  it("reads a command after a closed HTML comment", () => {
    expect(parseCommand("<!-- marker -->\n/diagnose")).toEqual({ name: "diagnose", arg: "" });
  });

  it("lets the first command win", () => {
    expect(parseCommand("/reject flaky\n/approve")).toEqual({ name: "reject", arg: "flaky" });
  });

  it("strips control and direction characters from the argument and caps it at 500", () => {
    expect(parseCommand("/approve use\u0007 node\u202e 20")).toEqual({ name: "approve", arg: "use node 20" });
    const long = parseCommand(`/approve ${"x".repeat(900)}`);
    expect(long?.arg).toHaveLength(500);
  });
});
