-- The first proposal of a fix is claimed (Fix.proposingBy, and who asked, Fix.proposingActor), so two `/approve`
-- before anything is shown make one model call. Added columns only: replicas of the previous version keep running on
-- this schema during a rolling upgrade.

-- AlterTable
ALTER TABLE "Fix" ADD COLUMN "proposingBy" TEXT;
ALTER TABLE "Fix" ADD COLUMN "proposingActor" TEXT;
