import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrateDeploy } from "../../src/db/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    testDir: string;
  }
}

/**
 * One migrated template database per test run, in a folder of its own (parallel runs must not share it); each test
 * copies it (see db.ts), which is much faster than migrating.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = path.resolve(".vitest-tmp", `run-${process.pid}-${randomUUID().slice(0, 8)}`);
  fs.mkdirSync(dir, { recursive: true });
  await migrateDeploy(`file:${path.join(dir, "template.db")}`);
  project.provide("testDir", dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
