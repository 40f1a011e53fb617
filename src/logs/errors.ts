// Typed errors of the log module, so callers (CLI, jobs) can tell bad input from bugs.

/** The input does not look like a text log (NUL bytes or mostly non-text in its first kilobytes). */
export class BinaryLogError extends Error {
  override readonly name = "BinaryLogError";
  constructor(message = "input looks binary, not a text log") {
    super(message);
  }
}

/** The input holds no line with any text. */
export class EmptyLogError extends Error {
  override readonly name = "EmptyLogError";
  constructor(message = "log is empty") {
    super(message);
  }
}

/** Something secret-looking survived redaction; the text must not be sent anywhere. */
export class RedactionError extends Error {
  override readonly name = "RedactionError";
  constructor(readonly kinds: string[]) {
    // The message names the kinds only, never the matched text.
    super(`redaction incomplete: ${kinds.join(", ")} still present`);
  }
}
