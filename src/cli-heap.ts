// How much heap the `ci-medic` command lets V8 keep, by the size of the log it reads.

import v8 from "node:v8";

/** Log size from which the CLI asks V8 to keep its heap small. */
export const SMALL_HEAP_FROM_BYTES = 512 * 1024 * 1024;

/**
 * Over a long log V8 lets the heap grow (a 32 MB young generation, old-generation garbage between full collections).
 * Measured on a 2 GB log (2026-12-03, one-thread reader, machine shared): from stdin 112 MB of peak RSS without
 * --optimize-for-size and 83 MB with it; from a file 106–111 MB either way (three runs each). Since the file reader
 * stopped copying its lines out of the buffer about to be reused (1 MB reads into three buffers), a file takes
 * 105–119 MB without the flag and 83–88 MB with it (two runs each, same day). On smaller logs it costs about a tenth
 * of the time and saves nothing, so it is set from SMALL_HEAP_FROM_BYTES on, and for a pipe, whose size is unknown.
 * V8 reads it as it goes: setting it before the log is read is enough.
 */
export function keepsHeapSmall(logBytes: number | undefined): boolean {
  return logBytes === undefined || logBytes >= SMALL_HEAP_FROM_BYTES;
}

/** Sets the flag for a log of `logBytes` (undefined: a pipe). A process-wide setting: for the command, not the app. */
export function tuneHeapFor(logBytes: number | undefined): void {
  if (keepsHeapSmall(logBytes)) v8.setFlagsFromString("--optimize-for-size");
}
