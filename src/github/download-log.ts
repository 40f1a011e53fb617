import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

export type LogDownload =
  | {
      kind: "ok";
      /** The log's bytes (UTF-8), as analyzeLog reads them: never decoded here, which would double the memory held. */
      log: Uint8Array;
      /** Bytes the log had in full. */
      bytes: number;
      truncated: boolean;
    }
  | { kind: "expired" }
  | { kind: "not-found" };

export const DEFAULT_LOG_MAX_BYTES = 20 * 1024 * 1024;

/** Thrown when the log host answers with something unexpected. Never carries the signed URL (it is a credential). */
export class LogDownloadError extends Error {
  constructor(readonly status: number) {
    super(`log download failed with HTTP ${status}`);
    this.name = "LogDownloadError";
  }
}

type FetchLike = typeof globalThis.fetch;

/**
 * Downloads a job's log as bytes, streamed, holding at most `maxBytes` (plus one network chunk): when the log is
 * longer, its head is dropped (the failure is at the end) and a first line says how much was cut.
 *
 * GitHub answers the API call with a 302 to a short-lived signed URL on another host. The redirect is followed here,
 * not by fetch, so the installation token is never sent to that host.
 */
export async function downloadJobLog(
  octokit: Octokit,
  args: { owner: string; repo: string; jobId: number },
  options: { maxBytes?: number } = {},
): Promise<LogDownload> {
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  let response;
  try {
    response = await octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", {
      owner: args.owner,
      repo: args.repo,
      job_id: args.jobId,
      request: { redirect: "manual", parseSuccessResponseBody: false },
    });
  } catch (error) {
    // GitHub answers 404 (sometimes 410) for logs past their retention (90 days by default) or deleted.
    const status = statusOf(error);
    if (status === 404 || status === 410) return { kind: "expired" };
    throw error;
  }

  const location = (response.headers as Record<string, string | undefined>).location;
  let body: ReadableStream<Uint8Array> | null;
  if (response.status >= 300 && response.status < 400 && location) {
    const fetchImpl: FetchLike =
      (octokit.request.endpoint.DEFAULTS.request as { fetch?: FetchLike } | undefined)?.fetch ?? globalThis.fetch;
    const blob = await fetchImpl(location, { redirect: "follow" });
    if (blob.status === 404 || blob.status === 410) {
      await blob.body?.cancel();
      return { kind: "not-found" };
    }
    if (!blob.ok) {
      await blob.body?.cancel();
      throw new LogDownloadError(blob.status);
    }
    body = blob.body;
  } else {
    // Some servers (GHES proxies, test fakes) serve the log directly.
    body = response.data as unknown as ReadableStream<Uint8Array> | null;
    if (typeof (response.data as unknown) === "string")
      return fromBytes([new TextEncoder().encode(response.data as unknown as string)], maxBytes);
  }
  if (!body) return { kind: "ok", log: new Uint8Array(0), bytes: 0, truncated: false };
  return readTail(body, maxBytes);
}

/** Reads a stream keeping only its last `maxBytes` bytes. */
export async function readTail(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<LogDownload & { kind: "ok" }> {
  const tail = new TailBuffer(maxBytes);
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value) tail.push(value);
  }
  return tail.result();
}

/**
 * A ring of chunks: each new chunk goes in and the oldest go out while the rest still covers `maxBytes`, so at most
 * `maxBytes` plus one chunk is ever held, whatever the log's size.
 */
export class TailBuffer {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes held now. */
  held = 0;
  /** Bytes seen in all. */
  total = 0;

  constructor(readonly maxBytes: number) {}

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.byteLength;
    this.total += chunk.byteLength;
    while (this.chunks.length > 1 && this.held - this.chunks[0]!.byteLength >= this.maxBytes)
      this.held -= this.chunks.shift()!.byteLength;
  }

  result(): LogDownload & { kind: "ok" } {
    return assemble(this.chunks, this.held, this.total, this.maxBytes);
  }
}

function fromBytes(chunks: Uint8Array[], maxBytes: number): LogDownload & { kind: "ok" } {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  return assemble(chunks, total, total, maxBytes);
}

function assemble(chunks: Uint8Array[], held: number, total: number, maxBytes: number): LogDownload & { kind: "ok" } {
  const all = concat(chunks, held);
  if (total <= maxBytes) return { kind: "ok", log: all, bytes: total, truncated: false };
  let start = all.byteLength - maxBytes;
  // Start on a whole line when one begins soon after the cut, else at least on a whole UTF-8 character.
  const newline = all.indexOf(0x0a, start);
  if (newline !== -1 && newline - start < 4096) start = newline + 1;
  else while (start < all.byteLength && (all[start]! & 0xc0) === 0x80) start++;
  const cut = total - (all.byteLength - start);
  const note = new TextEncoder().encode(
    `[ci-medic: the first ${cut} bytes of this ${total}-byte log were cut; only its last part is shown]\n`,
  );
  // The note goes into the dropped bytes just before the kept ones (the chunks are this function's own), so the log
  // is not copied; only when the cut left too little room is it copied behind the note.
  if (start >= note.byteLength) {
    all.set(note, start - note.byteLength);
    return { kind: "ok", log: all.subarray(start - note.byteLength), bytes: total, truncated: true };
  }
  const log = new Uint8Array(note.byteLength + all.byteLength - start);
  log.set(note);
  log.set(all.subarray(start), note.byteLength);
  return { kind: "ok", log, bytes: total, truncated: true };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
