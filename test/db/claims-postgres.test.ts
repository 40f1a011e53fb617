import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { claimProposal } from "../../src/jobs/apply-change.js";
import { createPgTestDb, pgTemplate } from "../helpers/postgres.js";

// The fix loop's "exactly one job pushes a shown change" rests on a conditional update (Prisma's updateMany with the
// state in its filter). The app's tests run on SQLite, where writers take turns; on PostgreSQL, replicas' updates run
// at once, and only the database's re-check of the filter under the row lock keeps a second claim from winning. This
// holds Prisma's PostgreSQL client to that: a version that read the matching ids first and updated by id would let two
// jobs push the same change.

describe.skipIf(!pgTemplate())("claiming a shown proposal on PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof createPgTestDb>>;
  let db: Db;

  beforeEach(async () => {
    database = await createPgTestDb();
    db = createDb(database.url);
  });
  afterEach(async () => {
    await db.$disconnect();
    await database.drop();
  });

  async function shownProposal() {
    const analysis = await db.runAnalysis.create({
      data: {
        installationId: 1,
        repository: "acme/widgets",
        runId: 1001n,
        runAttempt: 1,
        workflowId: 7n,
        workflowName: "CI",
        headSha: "a".repeat(40),
        event: "pull_request",
        runUrl: "https://github.com/acme/widgets/actions/runs/1001",
      },
    });
    const fix = await db.fix.create({
      data: {
        analysisId: analysis.id,
        installationId: 1,
        repository: "acme/widgets",
        thread: 2,
        baseSha: "a".repeat(40),
        failedWorkflows: "[]",
      },
    });
    return (request: number) =>
      db.fixProposal.create({
        data: {
          fixId: fix.id,
          attempt: 1,
          state: "shown",
          parentSha: "a".repeat(40),
          changes: "[]",
          contentHash: `h${request}`,
          explanation: "sum() subtracts",
          requestedBy: "maintainer",
          requestKey: `comment:${request}`,
        },
      });
  }

  it("four approvals at once, fifty times over: each time exactly one claims it, and the row names that one", async () => {
    const propose = await shownProposal();
    for (let round = 0; round < 50; round++) {
      const proposal = await propose(round);
      const keys = [1, 2, 3, 4].map((k) => `comment:${round}-${k}`);
      const results = await Promise.all(
        keys.map((claimKey) => claimProposal(db, { proposal, claimKey, approvedBy: claimKey })),
      );
      const winners = results.flatMap((r, i) => (r.kind === "claimed" ? [keys[i]] : []));
      expect(winners).toHaveLength(1);
      const row = await db.fixProposal.findUniqueOrThrow({ where: { id: proposal.id } });
      expect(row).toMatchObject({ state: "applying", claimedBy: winners[0], approvedBy: winners[0] });
    }
  });

  it("a stale claim found by two requests at once is taken over by one of them", async () => {
    const propose = await shownProposal();
    for (let round = 0; round < 20; round++) {
      const proposal = await propose(round);
      const first = await claimProposal(db, { proposal, claimKey: "comment:dead", approvedBy: "gone" });
      expect(first.kind).toBe("claimed");
      const stale = { claimedBy: "comment:dead", updatedAt: first.proposal.updatedAt };
      const results = await Promise.all(
        ["comment:a", "comment:b"].map((claimKey) =>
          claimProposal(db, { proposal, claimKey, approvedBy: claimKey, takeOver: stale }),
        ),
      );
      expect(results.filter((r) => r.kind === "claimed")).toHaveLength(1);
      // The job that lost its claim comes back (a retry of a job thought dead): it holds nothing any more.
      const back = await claimProposal(db, { proposal, claimKey: "comment:dead", approvedBy: "gone" });
      expect(back.kind).toBe("held");
    }
  });
});
