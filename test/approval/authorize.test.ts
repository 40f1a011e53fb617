import nock from "nock";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type ApprovalPolicy, authorizeApprover } from "../../src/approval/authorize.js";
import { approverAccess } from "../../src/github/permissions.js";
import { testOctokit } from "../fix/octokit.js";
import { basicError, type GitHubMock, mockGitHub } from "../helpers/github-mock.js";

const policy: ApprovalPolicy = { permission: "write", allowList: [], allowBotIds: [] };
const alice = { owner: "acme", repo: "widgets", login: "alice", userId: 7, userType: "User" };

/** The production lookup, so each case checks the requests authorisation makes as well as its answer. */
const access = () => approverAccess(testOctokit());

function logger() {
  return { warn: vi.fn() };
}

beforeAll(() => nock.disableNetConnect());
let gh: GitHubMock;
beforeEach(() => {
  gh = mockGitHub({ owner: "acme", repo: "widgets" });
});
afterEach(() => {
  gh.done();
  nock.cleanAll();
});

describe("authorizeApprover", () => {
  it.each([
    ["admin", "admin"],
    ["maintain", "write"],
    ["write", "write"],
  ])("allows role %s", async (role, expected) => {
    gh.hasPermission("alice", role);
    const result = await authorizeApprover(access(), alice, policy, logger());
    expect(result).toEqual({ allowed: true, permission: expected });
  });

  it.each(["triage", "read", "none"])("refuses role %s and says why", async (role) => {
    gh.hasPermission("alice", role);
    const result = await authorizeApprover(access(), alice, policy, logger());
    expect(result).toEqual({
      allowed: false,
      reason: `sorry, ci-medic commands need write access to this repository, and your access is ${role}.`,
    });
  });

  it("goes by a custom role's base permission", async () => {
    gh.hasPermission("alice", "release-manager", { base: "write" });
    expect(await authorizeApprover(access(), alice, policy, logger())).toEqual({
      allowed: true,
      permission: "write",
    });
  });

  it("requires admin when the policy says so", async () => {
    gh.hasPermission("alice", "maintain");
    const result = await authorizeApprover(access(), alice, { ...policy, permission: "admin" }, logger());
    expect(result).toEqual({
      allowed: false,
      reason: "sorry, ci-medic commands need admin access to this repository, and your access is maintain.",
    });
  });

  it("tells a non-collaborator (404 from the permission API) plainly that they lack access", async () => {
    gh.hasPermission("alice", "write", { status: 404 });
    const log = logger();
    const result = await authorizeApprover(access(), alice, policy, log);
    expect(result).toEqual({
      allowed: false,
      reason: "sorry, ci-medic commands need write access to this repository, and you are not a collaborator on it.",
    });
    expect(log.warn).not.toHaveBeenCalled();
  });

  it.each([500, 502] as const)("refuses on an API error %i and logs it first", async (status) => {
    gh.hasPermission("alice", "write", { status });
    const log = logger();
    const result = await authorizeApprover(access(), alice, policy, log);
    expect(result.allowed).toBe(false);
    expect(result).toMatchObject({ reason: expect.stringContaining("could not confirm your permission") });
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({ err: expect.objectContaining({ status }) });
  });

  it("refuses a bot without asking the API", async () => {
    const bot = { ...alice, login: "helper[bot]", userId: 99, userType: "Bot" };
    const result = await authorizeApprover(access(), bot, policy, logger());
    expect(result).toEqual({ allowed: false, reason: expect.stringContaining("does not take commands from bots") });
  });

  it("refuses a [bot] login even when the type says User", async () => {
    const result = await authorizeApprover(access(), { ...alice, login: "sneaky[bot]" }, policy, logger());
    expect(result.allowed).toBe(false);
  });

  it("allows a bot whose id the config lists", async () => {
    const bot = { ...alice, login: "helper[bot]", userId: 99, userType: "Bot" };
    const result = await authorizeApprover(access(), bot, { ...policy, allowBotIds: [99] }, logger());
    expect(result).toEqual({ allowed: true, permission: "write" });
  });

  describe("allow-list", () => {
    it("allows a listed login, case-insensitively", async () => {
      gh.hasPermission("alice", "write");
      const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["bob", "@Alice"] }, logger());
      expect(result).toEqual({ allowed: true, permission: "write" });
    });

    it("refuses a writer who is not on it", async () => {
      gh.hasPermission("alice", "admin").hasTeamMembership("acme", "release", "alice", "none");
      const result = await authorizeApprover(
        access(),
        alice,
        { ...policy, allowList: ["bob", "acme/release"] },
        logger(),
      );
      expect(result).toEqual({ allowed: false, reason: expect.stringContaining("allow-list") });
    });

    it("treats a team GitHub cannot answer for as not listed, and logs why", async () => {
      gh.hasPermission("alice", "write");
      gh.api.get("/orgs/acme/teams/release/memberships/alice").reply(500, basicError("Server Error"));
      const log = logger();
      const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["acme/release"] }, log);
      expect(result).toEqual({ allowed: false, reason: expect.stringContaining("allow-list") });
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn.mock.calls[0]?.[0]).toMatchObject({
        err: expect.objectContaining({ status: 500 }),
        team: "acme/release",
      });
    });

    it("allows an active member of a listed team, but not a pending one", async () => {
      gh.hasPermission("alice", "write")
        .hasTeamMembership("acme", "pending", "alice", "pending")
        .hasTeamMembership("acme", "release", "alice", "active");
      const result = await authorizeApprover(
        access(),
        alice,
        { ...policy, allowList: ["acme/pending", "acme/release"] },
        logger(),
      );
      expect(result).toEqual({ allowed: true, permission: "write" });
    });

    it("does not let the allow-list grant what the permission refuses", async () => {
      gh.hasPermission("alice", "triage");
      const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["alice"] }, logger());
      expect(result.allowed).toBe(false);
    });
  });
});

describe("a team on the allow-list that the App may not read", () => {
  it("is reported as a configuration problem, in the reply and in the log", async () => {
    gh.hasPermission("alice", "write").hasTeamMembership("acme", "release", "alice", "forbidden");
    const log = logger();
    const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["acme/release"] }, log);
    expect(result).toEqual({
      allowed: false,
      reason:
        "sorry, ci-medic could not check your membership of `acme/release`: GitHub refused the App access to the " +
        "organisation's teams. This is a configuration problem: an organisation owner must grant the App the " +
        "organisation permission Members (read).",
    });
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({
      err: expect.objectContaining({ status: 403 }),
      team: "acme/release",
    });
    expect(log.warn.mock.calls[0]?.[1]).toMatch(/configuration problem.*Members: read/);
  });

  it("still allows a member of another listed team that can be read", async () => {
    gh.hasPermission("alice", "write")
      .hasTeamMembership("acme", "secret", "alice", "forbidden")
      .hasTeamMembership("acme", "release", "alice", "active");
    const result = await authorizeApprover(
      access(),
      alice,
      { ...policy, allowList: ["acme/secret", "acme/release"] },
      logger(),
    );
    expect(result).toEqual({ allowed: true, permission: "write" });
  });
});
