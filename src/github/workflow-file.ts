import { statusOf } from "./errors.js";
import type { Octokit } from "./octokit.js";

export const WORKFLOW_FILE_MAX_BYTES = 20 * 1024;

/**
 * The workflow file at a ref, as text, at most `maxBytes` (a note line says when it was cut). Undefined when the file
 * does not exist at that ref or is not a file: the diagnosis works without it.
 */
export async function getWorkflowFile(
  octokit: Octokit,
  args: { owner: string; repo: string; path: string; ref: string },
  options: { maxBytes?: number } = {},
): Promise<string | undefined> {
  const maxBytes = options.maxBytes ?? WORKFLOW_FILE_MAX_BYTES;
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({
      owner: args.owner,
      repo: args.repo,
      path: args.path,
      ref: args.ref,
    }));
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
  const file = data as { type?: string; encoding?: string; content?: string };
  if (Array.isArray(data) || file.type !== "file" || typeof file.content !== "string" || file.encoding !== "base64")
    return undefined;
  const bytes = Buffer.from(file.content, "base64");
  if (bytes.byteLength <= maxBytes) return bytes.toString("utf8");
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString("utf8")}\n# [ci-medic: file cut at ${end} of ${bytes.byteLength} bytes]\n`;
}
