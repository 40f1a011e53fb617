-- The fix loop's claims: one run decides what follows each attempt (Fix.nextBy), a retried job finds its own
-- proposal (FixProposal.requestKey, unique per fix), and one job pushes a shown proposal (FixProposal.claimedBy).
-- Added columns only: replicas of the previous version keep running on this schema during a rolling upgrade.

-- AlterTable
ALTER TABLE "Fix" ADD COLUMN "nextBy" TEXT;

-- AlterTable
ALTER TABLE "FixProposal" ADD COLUMN "requestKey" TEXT;
ALTER TABLE "FixProposal" ADD COLUMN "claimedBy" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "FixProposal_fixId_requestKey_key" ON "FixProposal"("fixId", "requestKey");
