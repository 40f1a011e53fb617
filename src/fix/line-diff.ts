// A line diff (Myers) for counting a patch's size and rendering it. Each line keeps its terminator, so a change to the
// final newline shows as a changed line the way git shows it. Past `maxEdits` differences it gives up on precision and
// reports the differing middle as removed-then-added: that over-counts, which only makes the size limit stricter.

export type DiffOp = { op: " " | "-" | "+"; text: string };

export interface LineDiff {
  ops: DiffOp[];
  added: number;
  removed: number;
  /** True when the edit bound was hit and the middle was replaced wholesale. */
  approximate: boolean;
}

/** Splits text into lines, each with its `\n` (the last one may lack it). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let from = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", from)) {
    lines.push(text.slice(from, at + 1));
    from = at + 1;
  }
  if (from < text.length) lines.push(text.slice(from));
  return lines;
}

export function lineDiff(before: string, after: string, maxEdits = 1000): LineDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }

  const ops: DiffOp[] = a.slice(0, start).map((text) => ({ op: " ", text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const mid = myers(midA, midB, maxEdits);
  const approximate = mid === null;
  ops.push(
    ...(mid ?? [
      ...midA.map((text): DiffOp => ({ op: "-", text })),
      ...midB.map((text): DiffOp => ({ op: "+", text })),
    ]),
  );
  ops.push(...a.slice(endA).map((text): DiffOp => ({ op: " ", text })));

  let added = 0;
  let removed = 0;
  for (const o of ops) {
    if (o.op === "+") added++;
    else if (o.op === "-") removed++;
  }
  return { ops, added, removed, approximate };
}

function myers(a: string[], b: string[], maxEdits: number): DiffOp[] | null {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((text) => ({ op: "+", text }));
  if (m === 0) return a.map((text) => ({ op: "-", text }));

  // Compare small integers, not strings, in the inner loop.
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let v = ids.get(s);
    if (v === undefined) {
      v = ids.size;
      ids.set(s, v);
    }
    return v;
  };
  const ia = Int32Array.from(a, id);
  const ib = Int32Array.from(b, id);

  const limit = Math.min(n + m, maxEdits);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && ia[x] === ib[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset);
    }
  }
  return null;
}

function backtrack(a: string[], b: string[], trace: Int32Array[], offset: number): DiffOp[] {
  const out: DiffOp[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: " ", text: a[x - 1]! });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: "+", text: b[y - 1]! });
      else out.push({ op: "-", text: a[x - 1]! });
    }
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}
