// Public entry of the toolchain annotation parsers (tsc, eslint, vitest/jest, node, pytest, mypy, ruff/flake8, go,
// cargo/rustc, gcc/clang, javac/maven, kotlinc, dotnet/msbuild, shellcheck, actionlint, esbuild, Python tracebacks,
// workflow commands and `##[error]`-wrapped tool output).
import type { Annotation } from "../types.js";
import { AnnotationEngine, parseWith } from "./engine.js";
import { toRepoPath } from "./paths.js";

export { toRepoPath } from "./paths.js";

export interface AnnotationParser {
  push(line: string): void;
  finish(): Annotation[];
}

/** Lines are fed in order, already cleaned (timestamps, ANSI, BOM, CR progress stripped), NOT yet redacted.
    Memory is bounded: at most MAX_ANNOTATIONS annotations and a few lines of multi-line state. */
export function createAnnotationParser(opts?: { repository?: string }): AnnotationParser {
  const engine = new AnnotationEngine((raw) => toRepoPath(raw, opts));
  return { push: (line) => engine.push(line), finish: () => engine.finish() };
}

/** Convenience for tests/CLI: split text into lines and run the parser. */
export function parseAnnotations(text: string, opts?: { repository?: string }): Annotation[] {
  return parseWith((raw) => toRepoPath(raw, opts), text.split(/\r?\n/));
}
