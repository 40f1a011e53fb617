-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Job" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "deliveryId" TEXT,
    "installationId" INTEGER NOT NULL,
    "repository" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "runAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "lockedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunAnalysis" (
    "id" SERIAL NOT NULL,
    "installationId" INTEGER NOT NULL,
    "repository" TEXT NOT NULL,
    "runId" BIGINT NOT NULL,
    "runAttempt" INTEGER NOT NULL,
    "workflowId" BIGINT NOT NULL,
    "workflowName" TEXT NOT NULL,
    "workflowPath" TEXT,
    "headSha" TEXT NOT NULL,
    "headBranch" TEXT,
    "headRepository" TEXT,
    "event" TEXT NOT NULL,
    "runUrl" TEXT NOT NULL,
    "prNumber" INTEGER,
    "issueNumber" INTEGER,
    "checkRunId" BIGINT,
    "commentId" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "statusDetail" TEXT,
    "fingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RunAnalysis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FailedJob" (
    "id" SERIAL NOT NULL,
    "analysisId" INTEGER NOT NULL,
    "jobId" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "htmlUrl" TEXT,
    "failedSteps" TEXT NOT NULL,
    "failedCommand" TEXT,
    "logStatus" TEXT NOT NULL,
    "excerpt" TEXT,
    "annotations" TEXT,
    "category" TEXT NOT NULL,
    "fingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FailedJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Diagnosis" (
    "id" SERIAL NOT NULL,
    "analysisId" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "model" TEXT,
    "summary" TEXT NOT NULL,
    "rootCause" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "suggestedFix" TEXT NOT NULL,
    "files" TEXT NOT NULL,
    "fingerprint" TEXT,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,
    "latencyMs" INTEGER NOT NULL DEFAULT 0,
    "fallbackReason" TEXT,
    "flaky" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Diagnosis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrackingIssue" (
    "id" SERIAL NOT NULL,
    "repository" TEXT NOT NULL,
    "workflowId" BIGINT NOT NULL,
    "branch" TEXT NOT NULL,
    "issueNumber" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrackingIssue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" SERIAL NOT NULL,
    "analysisId" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "note" TEXT,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "detail" TEXT,
    "fixBranch" TEXT,
    "fixPrNumber" INTEGER,
    "fixPrUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LlmUsage" (
    "id" SERIAL NOT NULL,
    "installationId" INTEGER NOT NULL,
    "repository" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "tokens" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "LlmUsage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Job_dedupeKey_key" ON "Job"("dedupeKey");

-- CreateIndex
CREATE INDEX "Job_state_runAt_idx" ON "Job"("state", "runAt");

-- CreateIndex
CREATE INDEX "Job_installationId_state_idx" ON "Job"("installationId", "state");

-- CreateIndex
CREATE INDEX "Job_deliveryId_idx" ON "Job"("deliveryId");

-- CreateIndex
CREATE INDEX "RunAnalysis_repository_headSha_idx" ON "RunAnalysis"("repository", "headSha");

-- CreateIndex
CREATE INDEX "RunAnalysis_repository_prNumber_idx" ON "RunAnalysis"("repository", "prNumber");

-- CreateIndex
CREATE INDEX "RunAnalysis_repository_issueNumber_idx" ON "RunAnalysis"("repository", "issueNumber");

-- CreateIndex
CREATE INDEX "RunAnalysis_repository_fingerprint_idx" ON "RunAnalysis"("repository", "fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "RunAnalysis_repository_runId_runAttempt_key" ON "RunAnalysis"("repository", "runId", "runAttempt");

-- CreateIndex
CREATE UNIQUE INDEX "FailedJob_analysisId_jobId_key" ON "FailedJob"("analysisId", "jobId");

-- CreateIndex
CREATE UNIQUE INDEX "Diagnosis_analysisId_key" ON "Diagnosis"("analysisId");

-- CreateIndex
CREATE UNIQUE INDEX "TrackingIssue_repository_workflowId_branch_key" ON "TrackingIssue"("repository", "workflowId", "branch");

-- CreateIndex
CREATE INDEX "Approval_analysisId_action_idx" ON "Approval"("analysisId", "action");

-- CreateIndex
CREATE UNIQUE INDEX "LlmUsage_installationId_repository_day_key" ON "LlmUsage"("installationId", "repository", "day");

-- AddForeignKey
ALTER TABLE "FailedJob" ADD CONSTRAINT "FailedJob_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "RunAnalysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Diagnosis" ADD CONSTRAINT "Diagnosis_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "RunAnalysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "RunAnalysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

