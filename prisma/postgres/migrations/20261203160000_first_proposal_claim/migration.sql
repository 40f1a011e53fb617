-- AlterTable
ALTER TABLE "Fix" ADD COLUMN     "proposingActor" TEXT,
ADD COLUMN     "proposingBy" TEXT;

