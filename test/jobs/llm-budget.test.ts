import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import type { Db } from "../../src/db/client.js";
import { budgetExceeded, recordUsage, utcDay } from "../../src/jobs/llm-budget.js";
import type { Runtime } from "../../src/runtime.js";
import { createTestDb } from "../helpers/db.js";

// The daily limits every model call goes through (diagnoses and fix proposals): the installation's tokens, then the
// repository's calls, per UTC day.

let db: Db;
const rt = (dailyTokenBudget = 10_000) => ({ db, settings: { dailyTokenBudget } }) as unknown as Runtime;
const config = (dailyCallLimit: number) => ({ ...DEFAULT_CONFIG, llm: { ...DEFAULT_CONFIG.llm, dailyCallLimit } });

beforeEach(() => {
  db = createTestDb().db;
});
afterEach(async () => {
  await db.$disconnect();
});

describe("the daily LLM limits", () => {
  it("count calls per repository and tokens per installation, and say which limit is reached first", async () => {
    await recordUsage(rt(), 1, "o/a", { calls: 2, tokens: 4_000 });
    await recordUsage(rt(), 1, "o/a", { calls: 1, tokens: 1_000 });
    await recordUsage(rt(), 1, "o/b", { calls: 1, tokens: 3_000 });
    expect(await db.llmUsage.findMany({ orderBy: { repository: "asc" } })).toMatchObject([
      { repository: "o/a", day: utcDay(), calls: 3, tokens: 5_000 },
      { repository: "o/b", calls: 1, tokens: 3_000 },
    ]);
    expect(await budgetExceeded(rt(), 1, "o/a", config(4))).toBeUndefined();
    expect(await budgetExceeded(rt(), 1, "o/a", config(3))).toEqual({ limit: "calls", callLimit: 3 });
    // Another repository's calls are its own; the installation's tokens are shared (8,000 of 8,000).
    expect(await budgetExceeded(rt(8_000), 1, "o/b", config(50))).toEqual({ limit: "tokens", budget: 8_000 });
    expect(await budgetExceeded(rt(8_000), 2, "o/b", config(50))).toBeUndefined();
  });

  it("start again each UTC day, and count nothing for work that asked the model nothing", async () => {
    await db.llmUsage.create({
      data: { installationId: 1, repository: "o/a", day: "2020-01-01", calls: 99, tokens: 1e6 },
    });
    expect(await budgetExceeded(rt(), 1, "o/a", config(1))).toBeUndefined();
    await recordUsage(rt(), 1, "o/a", { calls: 0, tokens: 0 });
    expect(await db.llmUsage.count()).toBe(1);
  });
});
