// Size limits of the log readers, shared by the text reader (reader.ts), the byte readers and the cleaning (clean.ts).

/** Lines longer than this are cut: minified bundles and base64 blobs explain nothing and cost memory. */
export const MAX_LINE_CHARS = 4096;
/** A partial line longer than this stops growing; the rest of it is only counted. */
export const MAX_PENDING = 4 * MAX_LINE_CHARS;
