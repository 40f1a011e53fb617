-- CreateTable
CREATE TABLE "Fix" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
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
    "approvedAt" DATETIME,
    "verifyDeadline" DATETIME,
    "verifiedAt" DATETIME,
    "secondsToVerified" INTEGER,
    "closedAt" DATETIME,
    "merged" BOOLEAN,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Fix_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "RunAnalysis" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FixProposal" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "FixProposal_fixId_fkey" FOREIGN KEY ("fixId") REFERENCES "Fix" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FixRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "fixId" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "runId" BIGINT NOT NULL,
    "runAttempt" INTEGER NOT NULL,
    "workflowId" BIGINT NOT NULL,
    "workflowName" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "conclusion" TEXT NOT NULL,
    "runUrl" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "FixRun_fixId_fkey" FOREIGN KEY ("fixId") REFERENCES "Fix" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

