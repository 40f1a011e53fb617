// Collects annotations: resolves paths, merges duplicates, bounds count and text sizes.
import type { Annotation, AnnotationLevel } from "../types.js";

/** What a toolchain parser found, with the path as the tool printed it. */
export interface RawAnnotation {
  rawPath: string;
  line: number;
  column?: number;
  endLine?: number;
  level: AnnotationLevel;
  title: string;
  message: string;
  tool: string;
}

export const MAX_ANNOTATIONS = 500;
export const MAX_MESSAGE_CHARS = 1000;
const MAX_MESSAGE_LINES = 10;
const MAX_TITLE_CHARS = 100;

export type PathResolver = (raw: string) => string | null;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function cleanMessage(message: string): string {
  const lines = message
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0);
  return clip(lines.slice(0, MAX_MESSAGE_LINES).join("\n").trim(), MAX_MESSAGE_CHARS);
}

export class AnnotationSink {
  private readonly items: Annotation[] = [];
  private readonly byKey = new Map<string, Annotation>();

  constructor(readonly resolve: PathResolver) {}

  /** Returns the stored annotation (new or merged), or undefined when dropped. */
  add(raw: RawAnnotation): Annotation | undefined {
    if (!Number.isSafeInteger(raw.line) || raw.line < 1) return undefined;
    const path = this.resolve(raw.rawPath);
    if (path === null) return undefined;
    const title = clip(raw.title.trim() || raw.tool, MAX_TITLE_CHARS);
    const message = cleanMessage(raw.message) || title;
    const column = raw.column !== undefined && raw.column >= 1 ? raw.column : undefined;
    const key = `${path}\u0000${raw.line}\u0000${column ?? ""}\u0000${title}`;
    const existing = this.byKey.get(key);
    if (existing) {
      if (message.length > existing.message.length) existing.message = message;
      if (existing.level !== "failure" && raw.level === "failure") existing.level = "failure";
      return existing;
    }
    if (this.items.length >= MAX_ANNOTATIONS && !(raw.level === "failure" && this.evictLastNonFailure()))
      return undefined;
    const annotation: Annotation = { path, startLine: raw.line, level: raw.level, title, message, tool: raw.tool };
    if (raw.endLine !== undefined && raw.endLine >= raw.line) annotation.endLine = raw.endLine;
    if (column !== undefined) annotation.column = column;
    this.items.push(annotation);
    this.byKey.set(key, annotation);
    return annotation;
  }

  /** When full, a failure may take the place of the latest warning/notice: failures are what explain a red run. */
  private evictLastNonFailure(): boolean {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const a = this.items[i];
      if (a && a.level !== "failure") {
        this.items.splice(i, 1);
        for (const [k, v] of this.byKey) {
          if (v === a) {
            this.byKey.delete(k);
            break;
          }
        }
        return true;
      }
    }
    return false;
  }

  get size(): number {
    return this.items.length;
  }

  list(): Annotation[] {
    return this.items.map((a) => ({ ...a }));
  }
}
