import { z } from "zod";

// `.github/ci-medic.yml`. Every key has a default so an empty or missing file means "the defaults".
// The README documents each key; keep the two in step.
//
// Each leaf states what it expects in its own error message: load-config.ts shows maintainers
// `approval.minConfidence: expected a number between 0 and 1, got "high"`, not zod's generic wording.

const bool = () => z.boolean({ error: "expected true or false" });

function number(min: number, max: number, opts: { int?: boolean } = {}) {
  const expected = `expected ${opts.int ? "a whole number" : "a number"} between ${min} and ${max}`;
  const base = z.number({ error: expected });
  return (opts.int ? base.int({ error: expected }) : base).min(min, { error: expected }).max(max, { error: expected });
}

function stringList(what: string, maxItems: number, maxLength: number) {
  return z
    .array(
      z
        .string({ error: `expected ${what}` })
        .min(1, { error: `expected ${what}` })
        .max(maxLength, { error: `expected ${what} of at most ${maxLength} characters` }),
      {
        error: `expected a list of ${what}s`,
      },
    )
    .max(maxItems, { error: `expected at most ${maxItems} ${what}s` });
}

/** `*` and `?` stop at `/`; `**` crosses it (GitHub Actions filter semantics). */
const globs = () => stringList("a glob pattern", 100, 200);

const filter = () =>
  z
    .object(
      { include: globs().default(["**"]), exclude: globs().default([]) },
      { error: "expected a mapping with include and exclude lists" },
    )
    .strict()
    .default({ include: ["**"], exclude: [] });

/** Longest `llm.instructions` kept after sanitising; longer text is cut (see sanitize-instructions.ts). */
export const INSTRUCTIONS_MAX_CHARS = 2000;

export const configSchema = z
  .object(
    {
      enabled: bool().default(true),
      /** Matched against the workflow's name, its file path and its file name. */
      workflows: filter(),
      /** Matched against the run's head branch. */
      branches: filter(),
      output: z
        .object(
          {
            /** Post the sticky comment on the pull request. */
            prComment: bool().default(true),
            /** Open/update a tracking issue when the failure has no pull request. */
            trackingIssue: bool().default(true),
            /** Post the check run on the run's head commit. */
            checkRun: bool().default(true),
          },
          { error: "expected a mapping" },
        )
        .strict()
        .default({ prComment: true, trackingIssue: true, checkRun: true }),
      approval: z
        .object(
          {
            /** Offer /approve only when the diagnosis confidence is at least this. */
            minConfidence: number(0, 1).default(0.5),
            /** Minimum repository permission of whoever approves. */
            permission: z.enum(["write", "admin"], { error: 'expected "write" or "admin"' }).default("write"),
            /** When non-empty, only these logins (or "org/team" slugs) may approve, on top of the permission. */
            allowList: stringList("a login or org/team slug", 200, 100).default([]),
            /** Bot accounts (by numeric user id) whose commands are accepted. */
            allowBotIds: z
              .array(number(1, Number.MAX_SAFE_INTEGER, { int: true }), {
                error: "expected a list of numeric user ids",
              })
              .max(50, { error: "expected at most 50 bot ids" })
              .default([]),
          },
          { error: "expected a mapping" },
        )
        .strict()
        .default({ minConfidence: 0.5, permission: "write", allowList: [], allowBotIds: [] }),
      fix: z
        .object(
          {
            maxFiles: number(1, 50, { int: true }).default(5),
            maxChangedLines: number(1, 5000, { int: true }).default(200),
            /** UTF-8 bytes of added lines: one huge line is not "one changed line". */
            maxBytes: number(1, 1_000_000, { int: true }).default(32_768),
            /** Paths a fix may never touch, on top of the built-in ones (workflows, secrets, lockfiles...). */
            deniedPaths: globs().default([]),
            allowTestEdits: bool().default(false),
            draft: bool().default(false),
            /** Attempts per diagnosis, the first included; 1 turns follow-up attempts off. */
            maxAttempts: number(1, 5, { int: true }).default(3),
            /** Push follow-up attempts without a new /approve (the first attempt always needs one). */
            autoApplyFollowUps: bool().default(false),
            /** Open the fix PR as a draft and mark it ready for review once CI verified it. */
            draftUntilVerified: bool().default(true),
            /** No run of the fix commit within this time: the fix is reported as not verifiable. */
            verifyTimeoutMinutes: number(5, 1440, { int: true }).default(30),
          },
          { error: "expected a mapping" },
        )
        .strict()
        .default({
          maxFiles: 5,
          maxChangedLines: 200,
          maxBytes: 32_768,
          deniedPaths: [],
          allowTestEdits: false,
          draft: false,
          maxAttempts: 3,
          autoApplyFollowUps: false,
          draftUntilVerified: true,
          verifyTimeoutMinutes: 30,
        }),
      llm: z
        .object(
          {
            /** Overrides the operator's default model for this repository. */
            model: z
              .string({ error: "expected a model name" })
              .regex(/^[A-Za-z0-9][\w.:/-]{0,99}$/, {
                error: "expected a model name (letters, digits, . _ - : /; at most 100 characters)",
              })
              .optional(),
            /** LLM calls per repository per day (UTC): diagnoses and fix proposals, each answer of the model. */
            dailyCallLimit: number(0, 10_000, { int: true }).default(50),
            /** Extra instructions for the model, e.g. "we use pnpm". Sanitised and cut to INSTRUCTIONS_MAX_CHARS. */
            instructions: z
              .string({ error: "expected text" })
              .max(50_000, { error: "expected text of at most 50000 characters" })
              .default(""),
          },
          { error: "expected a mapping" },
        )
        .strict()
        .default({ dailyCallLimit: 50, instructions: "" }),
    },
    { error: "expected a mapping of settings" },
  )
  .strict();

export type RepoConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: RepoConfig = configSchema.parse({});
