-- CreateTable
CREATE TABLE "Fix" (
    "id" SERIAL NOT NULL,
    "analysisId" INTEGER NOT NULL,
    "installationId" INTEGER NOT NULL,
    "repository" TEXT NOT NULL,
    "thread" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'proposed',
    "detail" TEXT,
    "baseSha" TEXT NOT NULL,
    "targetBranch" TEXT,
    "branch" TEXT,
    "prNumber" INTEGER,
    "prUrl" TEXT,
    "prNodeId" TEXT,
    "draftUntilVerified" BOOLEAN NOT NULL DEFAULT false,
    "tipSha" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "failedWorkflows" TEXT NOT NULL,
    "approvedAt" TIMESTAMP(3),
    "verifyDeadline" TIMESTAMP(3),
    "verifiedAt" TIMESTAMP(3),
    "secondsToVerified" INTEGER,
    "closedAt" TIMESTAMP(3),
    "merged" BOOLEAN,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Fix_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FixProposal" (
    "id" SERIAL NOT NULL,
    "fixId" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "parentSha" TEXT NOT NULL,
    "changes" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "explanation" TEXT NOT NULL,
    "testsAreWrong" BOOLEAN NOT NULL DEFAULT false,
    "reasons" TEXT,
    "requestedBy" TEXT NOT NULL,
    "note" TEXT,
    "commentId" BIGINT,
    "approvedBy" TEXT,
    "commitSha" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FixProposal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FixRun" (
    "id" SERIAL NOT NULL,
    "fixId" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "runId" BIGINT NOT NULL,
    "runAttempt" INTEGER NOT NULL,
    "workflowId" BIGINT NOT NULL,
    "workflowName" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "conclusion" TEXT NOT NULL,
    "runUrl" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FixRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Fix_analysisId_key" ON "Fix"("analysisId");

-- CreateIndex
CREATE INDEX "Fix_state_verifyDeadline_idx" ON "Fix"("state", "verifyDeadline");

-- CreateIndex
CREATE UNIQUE INDEX "Fix_repository_branch_key" ON "Fix"("repository", "branch");

-- CreateIndex
CREATE INDEX "FixProposal_fixId_attempt_idx" ON "FixProposal"("fixId", "attempt");

-- CreateIndex
CREATE UNIQUE INDEX "FixRun_fixId_runId_runAttempt_key" ON "FixRun"("fixId", "runId", "runAttempt");

-- AddForeignKey
ALTER TABLE "Fix" ADD CONSTRAINT "Fix_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "RunAnalysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FixProposal" ADD CONSTRAINT "FixProposal_fixId_fkey" FOREIGN KEY ("fixId") REFERENCES "Fix"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FixRun" ADD CONSTRAINT "FixRun_fixId_fkey" FOREIGN KEY ("fixId") REFERENCES "Fix"("id") ON DELETE CASCADE ON UPDATE CASCADE;

