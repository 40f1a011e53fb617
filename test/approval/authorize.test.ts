import nock from "nock";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ApprovalPolicy, authorizeApprover } from "../../src/approval/authorize.js";
import { approverAccess } from "../../src/github/permissions.js";
import { testOctokit } from "../fix/octokit.js";

const API = "https://api.github.com";
const PERMISSION = "/repos/acme/widgets/collaborators/alice/permission";
const policy: ApprovalPolicy = { permission: "write", allowList: [], allowBotIds: [] };
const alice = { owner: "acme", repo: "widgets", login: "alice", userId: 7, userType: "User" };

/** The production lookup, so each case checks the requests authorisation makes as well as its answer. */
const access = () => approverAccess(testOctokit());

function logger() {
  return { warn: vi.fn() };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("authorizeApprover", () => {
  it.each([
    ["admin", "admin", "admin"],
    ["maintain", "write", "write"],
    ["write", "write", "write"],
  ])("allows role %s", async (role, permission, expected) => {
    nock(API)
      .get(PERMISSION)
      .reply(200, { permission, role_name: role, user: { login: "alice" } });
    const result = await authorizeApprover(access(), alice, policy, logger());
    expect(result).toEqual({ allowed: true, permission: expected });
  });

  it.each([
    ["triage", "read"],
    ["read", "read"],
    ["none", "none"],
  ])("refuses role %s and says why", async (role, permission) => {
    nock(API).get(PERMISSION).reply(200, { permission, role_name: role });
    const result = await authorizeApprover(access(), alice, policy, logger());
    expect(result).toEqual({
      allowed: false,
      reason: `sorry, ci-medic commands need write access to this repository, and your access is ${role}.`,
    });
  });

  it("goes by a custom role's base permission", async () => {
    nock(API).get(PERMISSION).reply(200, { permission: "write", role_name: "release-manager" });
    expect(await authorizeApprover(access(), alice, policy, logger())).toEqual({
      allowed: true,
      permission: "write",
    });
  });

  it("requires admin when the policy says so", async () => {
    nock(API).get(PERMISSION).reply(200, { permission: "write", role_name: "maintain" });
    const result = await authorizeApprover(access(), alice, { ...policy, permission: "admin" }, logger());
    expect(result).toEqual({
      allowed: false,
      reason: "sorry, ci-medic commands need admin access to this repository, and your access is maintain.",
    });
  });

  it.each([404, 500])("refuses on an API error %i and logs it first", async (status) => {
    nock(API).get(PERMISSION).reply(status, { message: "nope" });
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
      nock(API).get(PERMISSION).reply(200, { permission: "write", role_name: "write" });
      const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["bob", "@Alice"] }, logger());
      expect(result).toEqual({ allowed: true, permission: "write" });
    });

    it("refuses a writer who is not on it", async () => {
      nock(API).get(PERMISSION).reply(200, { permission: "admin", role_name: "admin" });
      nock(API).get("/orgs/acme/teams/release/memberships/alice").reply(404, { message: "Not Found" });
      const result = await authorizeApprover(
        access(),
        alice,
        { ...policy, allowList: ["bob", "acme/release"] },
        logger(),
      );
      expect(result).toEqual({ allowed: false, reason: expect.stringContaining("allow-list") });
    });

    it("treats a team GitHub cannot answer for as not listed, and logs why", async () => {
      nock(API).get(PERMISSION).reply(200, { permission: "write", role_name: "write" });
      nock(API).get("/orgs/acme/teams/release/memberships/alice").reply(500, { message: "Server Error" });
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
      nock(API).get(PERMISSION).reply(200, { permission: "write", role_name: "write" });
      nock(API).get("/orgs/acme/teams/pending/memberships/alice").reply(200, { state: "pending", role: "member" });
      nock(API).get("/orgs/acme/teams/release/memberships/alice").reply(200, { state: "active", role: "member" });
      const result = await authorizeApprover(
        access(),
        alice,
        { ...policy, allowList: ["acme/pending", "acme/release"] },
        logger(),
      );
      expect(result).toEqual({ allowed: true, permission: "write" });
    });

    it("does not let the allow-list grant what the permission refuses", async () => {
      nock(API).get(PERMISSION).reply(200, { permission: "read", role_name: "triage" });
      const result = await authorizeApprover(access(), alice, { ...policy, allowList: ["alice"] }, logger());
      expect(result.allowed).toBe(false);
    });
  });
});
