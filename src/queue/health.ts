// What both engines say about a queue that does not move, so that /readyz reads the same on either.

/** How long a due job may wait while no job starts or finishes, before the queue counts as wedged. */
export const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
/** How long a job may run (SQLite), or its lease stay lapsed (pg-boss), before the queue counts as wedged. */
export const DEFAULT_MAX_RUN_MS = 30 * 60_000;

export function waitingDetail(dueForMs: number, maxWaitMs: number): string {
  return `a job has been due for ${minutes(dueForMs)} min, and none has started or finished in the last ${minutes(maxWaitMs)} min`;
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
