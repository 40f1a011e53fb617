/** Thrown by a job that must wait (rate limits): re-queued at `retryAt`, not counted as a failed attempt. */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAt: Date,
  ) {
    super(message);
    this.name = "RetryLaterError";
  }
}

/** Thrown by a job that can never succeed (bad payload): marked dead at once, not retried. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentJobError";
  }
}

/** Any error carrying a `retryAt` date (ours or a GitHub rate-limit error) asks for a wait. */
export function retryAtOf(error: unknown): Date | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as { retryAt?: unknown }).retryAt;
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined;
}
