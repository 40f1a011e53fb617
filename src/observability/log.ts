// The app's logger: Probot's (same formatting, same levels), plus what Probot leaves out. Its HTTP logger (pino-http)
// writes every request with its headers, so each `/metrics` scrape would log `Authorization: Bearer <METRICS_TOKEN>`;
// and error objects carry texts from GitHub or the model, which may quote a token. Header values are censored by
// path; error messages and stacks go through the redactor.

import { getTransformStream } from "@probot/pino";
import pino, { type DestinationStream, type Logger } from "pino";
import { redact } from "../logs/redact.js";

const HEADERS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-hub-signature",
  "x-hub-signature-256",
];

/** pino redact paths: request and response headers (pino-http's `req`/`res`), and the request an Octokit error holds. */
export const LOG_REDACT_PATHS = [
  ...HEADERS.flatMap((h) => [`req.headers["${h}"]`, `res.headers["${h}"]`, `headers["${h}"]`]),
  ...HEADERS.map((h) => `err.request.headers["${h}"]`),
  ...HEADERS.map((h) => `err.response.headers["${h}"]`),
];

/** pino's error serializer, with the message and stack scrubbed of anything token-like. */
export function scrubbedError(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === "string" ? redact(error) : error;
  const out = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ["message", "stack"]) if (typeof out[key] === "string") out[key] = redact(out[key] as string);
  return out;
}

export interface LogOptions {
  level?: string;
  logFormat?: "json" | "pretty";
  logLevelInString?: boolean;
  logMessageKey?: string;
  sentryDsn?: string;
  /** Where lines go; stdout by default (tests pass a stream). */
  destination?: DestinationStream;
}

export async function createLog(options: LogOptions = {}): Promise<Logger> {
  const { level, logMessageKey, destination, ...format } = options;
  const transform = await getTransformStream(format);
  transform.pipe((destination ?? pino.destination(1)) as NodeJS.WritableStream);
  return pino(
    {
      level: level || "info",
      name: "probot",
      messageKey: logMessageKey || "msg",
      redact: { paths: LOG_REDACT_PATHS, censor: "[REDACTED]" },
      serializers: { err: scrubbedError },
    },
    transform,
  );
}
