import type { Context } from "probot";

export interface CommandRequest {
  context: Context;
  command: { name: "approve" | "reject" | "diagnose" | "help"; arg: string };
  /** The PR or issue number the command was given in (where replies go). */
  thread: number;
  actor: { login: string; id: number; type: string };
  commentId?: number;
}
