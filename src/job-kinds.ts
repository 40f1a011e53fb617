// What the webhook handlers (src/webhooks/) hand to the jobs (src/jobs/) through the queue: the job kinds, the payload
// of a queued event, and the check run button whose press comes back as a webhook. Both sides import this module and
// neither imports the other, so a handler can change without touching a job and the other way round.

/** A job's `kind` column: which handler in src/jobs/register.ts runs it. */
export const JOB_KIND = {
  diagnoseRun: "diagnose-run",
  markFlaky: "mark-flaky",
  command: "command",
  /** A completed run on one of ci-medic's fix branches: evidence about the fix. */
  fixRun: "fix-run",
  /** No run of a fix commit within fix.verifyTimeoutMinutes (queued by the housekeeping schedule). */
  fixTimeout: "fix-timeout",
  /** A claim of the fix loop whose job is gone for good (queued by the housekeeping schedule): said, and given back. */
  fixStalled: "fix-stalled",
  /** A fix pull request merged or closed. */
  fixClosed: "fix-closed",
  /** The App's own work (src/recovery/schedule.ts): ask GitHub to redeliver failed webhook deliveries. */
  recoverDeliveries: "recover-deliveries",
} as const;

export type JobKind = (typeof JOB_KIND)[keyof typeof JOB_KIND];

/** What a queued job carries: enough to rebuild the webhook Context in the worker. */
export interface EventJobPayload {
  event: string;
  deliveryId: string;
  payload: unknown;
}

/**
 * A claim of the fix loop whose job is gone for good, as the housekeeping schedule found it: the run's job that was to
 * decide what follows an attempt (Fix.nextBy), or the job that was pushing a shown change (FixProposal.claimedBy).
 */
export interface FixStalledPayload {
  fixId: number;
  claim: { kind: "next"; key: string } | { kind: "push"; key: string; proposalId: number };
}

/** The check run's button (published by jobs/publish-diagnosis.ts, pressed back in webhooks/check-run-requested-action.ts). */
export const OPEN_FIX_ACTION = {
  label: "Open fix PR",
  description: "Ask ci-medic for a fix pull request",
  identifier: "open-fix-pr",
};
