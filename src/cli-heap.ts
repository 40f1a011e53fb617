// How much heap the `ci-medic` command lets V8 keep, by the size of the log it reads.

import v8 from "node:v8";

/** Log size from which the CLI asks V8 to keep its heap small. */
export const SMALL_HEAP_FROM_BYTES = 512 * 1024 * 1024;

/**
 * Over a long log V8 lets the heap grow (a 32 MB young generation, old-generation garbage between full collections):
 * 134 MB of peak RSS on a 2 GB log, where 92 MB is enough with --optimize-for-size (`npm run bench log-reader`, the
 * last two CLI rows). On smaller logs that flag costs about a tenth of the time and saves nothing, so it is set from
 * SMALL_HEAP_FROM_BYTES on (half of the size where the growth began to show), and for a pipe, whose size is unknown.
 * V8 reads it as it goes: setting it before the log is read is enough.
 */
export function keepsHeapSmall(logBytes: number | undefined): boolean {
  return logBytes === undefined || logBytes >= SMALL_HEAP_FROM_BYTES;
}

/** Sets the flag for a log of `logBytes` (undefined: a pipe). A process-wide setting: for the command, not the app. */
export function tuneHeapFor(logBytes: number | undefined): void {
  if (keepsHeapSmall(logBytes)) v8.setFlagsFromString("--optimize-for-size");
}
