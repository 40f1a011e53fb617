-- AlterTable
ALTER TABLE "Fix" ADD COLUMN     "nextBy" TEXT;

-- AlterTable
ALTER TABLE "FixProposal" ADD COLUMN     "claimedBy" TEXT,
ADD COLUMN     "requestKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "FixProposal_fixId_requestKey_key" ON "FixProposal"("fixId", "requestKey");

