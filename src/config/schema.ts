import { z } from "zod";

// `.github/ci-medic.yml`. Every key has a default so an empty or missing file means "the defaults".
// The README documents each key; keep the two in step.

const glob = z.string().min(1).max(200);

export const configSchema = z
  .object({
    enabled: z.boolean().default(true),
    workflows: z
      .object({
        include: z.array(glob).max(100).default(["*"]),
        exclude: z.array(glob).max(100).default([]),
      })
      .strict()
      .default({ include: ["*"], exclude: [] }),
    branches: z
      .object({
        include: z.array(glob).max(100).default(["*"]),
        exclude: z.array(glob).max(100).default([]),
      })
      .strict()
      .default({ include: ["*"], exclude: [] }),
    output: z
      .object({
        /** Post the sticky comment on the pull request. */
        prComment: z.boolean().default(true),
        /** Open/update a tracking issue when the failure has no pull request. */
        trackingIssue: z.boolean().default(true),
        /** Always post the check run. */
        checkRun: z.boolean().default(true),
      })
      .strict()
      .default({ prComment: true, trackingIssue: true, checkRun: true }),
    approval: z
      .object({
        /** Offer /approve only when the diagnosis confidence is at least this. */
        minConfidence: z.number().min(0).max(1).default(0.5),
        /** Minimum repository permission of whoever approves. */
        permission: z.enum(["write", "admin"]).default("write"),
        /** When non-empty, only these logins (or "org/team" slugs) may approve, on top of the permission. */
        allowList: z.array(z.string().min(1).max(100)).max(200).default([]),
        /** Bot accounts (by numeric user id) whose commands are accepted. */
        allowBotIds: z.array(z.number().int().positive()).max(50).default([]),
      })
      .strict()
      .default({ minConfidence: 0.5, permission: "write", allowList: [], allowBotIds: [] }),
    fix: z
      .object({
        maxFiles: z.number().int().min(1).max(50).default(5),
        maxChangedLines: z.number().int().min(1).max(5000).default(200),
        deniedPaths: z.array(glob).max(100).default([]),
        allowTestEdits: z.boolean().default(false),
        draft: z.boolean().default(false),
      })
      .strict()
      .default({ maxFiles: 5, maxChangedLines: 200, deniedPaths: [], allowTestEdits: false, draft: false }),
    llm: z
      .object({
        /** Overrides the operator's default model for this repository. */
        model: z.string().min(1).max(100).optional(),
        /** LLM calls per repository per day (UTC). */
        dailyCallLimit: z.number().int().min(0).max(10_000).default(50),
        /** Extra instructions for the model, e.g. "we use pnpm". Sanitised and capped. */
        instructions: z.string().max(2000).default(""),
      })
      .strict()
      .default({ dailyCallLimit: 50, instructions: "" }),
  })
  .strict();

export type RepoConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: RepoConfig = configSchema.parse({});
