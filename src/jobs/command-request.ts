import type { Context } from "probot";

export interface CommandRequest {
  context: Context;
  command: { name: "approve" | "reject" | "diagnose" | "help"; arg: string };
  /** The PR or issue number the command was given in (where replies go). */
  thread: number;
  actor: { login: string; id: number; type: string };
  commentId?: number;
  /**
   * The request's identity, the same on every retry of its job: `comment:<id>`, or `button:<delivery id>`. What it
   * proposes and what it claims to push are stored under it, so a retried job continues its own work.
   */
  key: string;
  /**
   * When the comment was written. A change shown in the thread is applied only by a comment written after it was
   * shown: an `/approve` queued (or redelivered) behind a newer proposal never pushes what its author did not see. The
   * check run's button has none, so it only ever proposes.
   */
  writtenAt?: Date;
  /**
   * Whether an error now ends the request for good: the job's last try, or the job already stopped (past its time
   * budget, its handler still running). Claims it holds are then given back, since no retry will.
   */
  finalTry?: () => boolean;
}
