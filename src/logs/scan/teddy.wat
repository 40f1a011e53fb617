;; Multi-literal prefilter for log lines ("Teddy", after Hyperscan): for every 16 input bytes it tells, with a few
;; SIMD shuffles, which positions may start one of up to 8 groups ("buckets") of short literals. Each of the four
;; literal positions k has two 16-entry tables at 32k (low nibble) and 32k+16 (high nibble); entry bits are buckets.
;; A byte matches position k of bucket b when both its nibbles' entries hold bit b; a position is reported when one
;; bucket matches at all four positions. Input is folded with `| 0x20` (ASCII case), and so are the literals. Each
;; block is loaded once: the four positions' matches are lined up by shifting in the previous block's (a literal is
;; found where it ends, and reported where it starts), which costs ~20% less than four loads at offsets 0–3.
;; False positives (nibble cross-products) are allowed: the caller re-checks the line; misses are not.
;; The same pass also lists the newlines, which saves the caller a search per line.
;; `classify` then decides, line by line, which lines the line router must look at: the rules of line-shape.ts,
;; beside this file (its JS classifyLines is the reference, and the fallback), on the same bytes, with the first-byte
;; table and lead words that line-shape.ts writes into memory. A twin kept for the command line's speed on long logs:
;; see BENCHMARKS.md, "Line kinds in WebAssembly"; test/logs/scan/line-shape.test.ts checks the two agree.
(module
  (import "env" "memory" (memory 1))
  ;; How many newline and carriage-return addresses the last scan wrote.
  (global $newlines (export "newlines") (mut i32) (i32.const 0))
  (global $crs (export "crs") (mut i32) (i32.const 0))
  ;; Scans [p, end) and writes the absolute addresses of candidate positions as i32 at out, those of newlines at nl
  ;; and those of carriage returns at cr; returns the number of candidates. Reads up to 18 bytes past end: the caller
  ;; pads them with `\n`, which starts no literal (and ignores newlines and candidates past end).
  (func (export "scan") (param $p i32) (param $end i32) (param $out i32) (param $nl i32) (param $cr i32) (result i32)
    (local $o i32) (local $n i32) (local $c i32) (local $bits i32)
    (local $raw v128) (local $v v128) (local $m v128) (local $fold v128) (local $nib v128) (local $lf v128) (local $cret v128)
    (local $t0l v128) (local $t0h v128) (local $t1l v128) (local $t1h v128)
    (local $t2l v128) (local $t2h v128) (local $t3l v128) (local $t3h v128)
    (local $lo v128) (local $hi v128) (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $stop i32)
    (local.set $o (local.get $out))
    (local.set $n (local.get $nl))
    (local.set $c (local.get $cr))
    (local.set $lf (i8x16.splat (i32.const 0x0a)))
    (local.set $cret (i8x16.splat (i32.const 0x0d)))
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (local.set $nib (i8x16.splat (i32.const 0x0f)))
    (local.set $t0l (v128.load (i32.const 0)))
    (local.set $t0h (v128.load (i32.const 16)))
    (local.set $t1l (v128.load (i32.const 32)))
    (local.set $t1h (v128.load (i32.const 48)))
    (local.set $t2l (v128.load (i32.const 64)))
    (local.set $t2h (v128.load (i32.const 80)))
    (local.set $t3l (v128.load (i32.const 96)))
    (local.set $t3h (v128.load (i32.const 112)))
    ;; A literal starting in the last three bytes ends in the padding.
    (local.set $stop (i32.add (local.get $end) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
        (local.set $raw (v128.load (local.get $p)))
        (local.set $bits (i8x16.bitmask (i8x16.eq (local.get $raw) (local.get $lf))))
        (if (local.get $bits)
          (then
            (loop $line
              (i32.store (local.get $n) (i32.add (local.get $p) (i32.ctz (local.get $bits))))
              (local.set $n (i32.add (local.get $n) (i32.const 4)))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (br_if $line (local.get $bits)))))
        (local.set $bits (i8x16.bitmask (i8x16.eq (local.get $raw) (local.get $cret))))
        (if (local.get $bits)
          (then
            (loop $return
              (i32.store (local.get $c) (i32.add (local.get $p) (i32.ctz (local.get $bits))))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (br_if $return (local.get $bits)))))
        (local.set $v (v128.or (local.get $raw) (local.get $fold)))
        (local.set $lo (v128.and (local.get $v) (local.get $nib)))
        (local.set $hi (i8x16.shr_u (local.get $v) (i32.const 4)))
        (local.set $m0 (v128.and (i8x16.swizzle (local.get $t0l) (local.get $lo)) (i8x16.swizzle (local.get $t0h) (local.get $hi))))
        (local.set $m1 (v128.and (i8x16.swizzle (local.get $t1l) (local.get $lo)) (i8x16.swizzle (local.get $t1h) (local.get $hi))))
        (local.set $m2 (v128.and (i8x16.swizzle (local.get $t2l) (local.get $lo)) (i8x16.swizzle (local.get $t2h) (local.get $hi))))
        (local.set $m (v128.and (i8x16.swizzle (local.get $t3l) (local.get $lo)) (i8x16.swizzle (local.get $t3h) (local.get $hi))))
        ;; Byte j of the result: position 0 matched at j-3, 1 at j-2, 2 at j-1 and 3 at j (from the previous block's
        ;; masks for the first bytes).
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.shuffle 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 (local.get $p0) (local.get $m0))
          (v128.and
            (i8x16.shuffle 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 (local.get $p1) (local.get $m1))
            (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $p2) (local.get $m2))))))
        (local.set $p0 (local.get $m0))
        (local.set $p1 (local.get $m1))
        (local.set $p2 (local.get $m2))
        (if (v128.any_true (local.get $m))
          (then
            (local.set $bits (i8x16.bitmask (i8x16.ne (local.get $m) (v128.const i64x2 0 0))))
            (loop $bit
              (i32.store (local.get $o) (i32.sub (i32.add (local.get $p) (i32.ctz (local.get $bits))) (i32.const 3)))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (br_if $bit (local.get $bits)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (global.set $newlines (i32.shr_u (i32.sub (local.get $n) (local.get $nl)) (i32.const 2)))
    (global.set $crs (i32.shr_u (i32.sub (local.get $c) (local.get $cr)) (i32.const 2)))
    (i32.shr_u (i32.sub (local.get $o) (local.get $out)) (i32.const 2)))
  ;; Memory layout shared with candidate-scanner.ts: the LEAD table (line-shape.ts) at 128, one byte per first byte;
  ;; lead words described at 384 + 4k (i16 address, i16 length); regions and outputs from 512 on.

  (func $isDigit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))

  ;; Length of the runner timestamp at $s (clean.ts timestampLengthBytes): `2024-01-02T03:04:05.1234567Z ` and kin.
  (func $timestamp (param $s i32) (param $end i32) (result i32)
    (local $z i32) (local $last i32) (local $bits i32)
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $s)) (i32.const 21)) (then (return (i32.const 0))))
    (if (i32.eqz (call $isDigit (i32.load8_u (local.get $s)))) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u offset=4 (local.get $s)) (i32.const 45)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u offset=7 (local.get $s)) (i32.const 45)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u offset=10 (local.get $s)) (i32.const 84)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u offset=13 (local.get $s)) (i32.const 58)) (then (return (i32.const 0))))
    ;; The first `Z` from offset 19 on ends it, within 40 bytes (and the line): sixteen bytes at a time. The first
    ;; load ends at most 13 bytes past the line (it holds 21 or more), within the caller's padding.
    (local.set $last (i32.add (local.get $s) (i32.const 40)))
    (if (i32.gt_s (local.get $last) (i32.sub (local.get $end) (i32.const 1)))
      (then (local.set $last (i32.sub (local.get $end) (i32.const 1)))))
    (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load offset=19 (local.get $s)) (i8x16.splat (i32.const 90)))))
    (if (local.get $bits)
      (then (local.set $z (i32.add (i32.add (local.get $s) (i32.const 19)) (i32.ctz (local.get $bits)))))
      (else
        (if (i32.lt_s (local.get $last) (i32.add (local.get $s) (i32.const 35))) (then (return (i32.const 0))))
        (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load offset=35 (local.get $s)) (i8x16.splat (i32.const 90)))))
        (if (i32.eqz (local.get $bits)) (then (return (i32.const 0))))
        (local.set $z (i32.add (i32.add (local.get $s) (i32.const 35)) (i32.ctz (local.get $bits))))))
    (if (i32.gt_s (local.get $z) (local.get $last)) (then (return (i32.const 0))))
    (if (result i32)
      (i32.and
        (i32.lt_s (i32.add (local.get $z) (i32.const 1)) (local.get $end))
        (i32.eq (i32.load8_u offset=1 (local.get $z)) (i32.const 32)))
      (then (i32.sub (i32.add (local.get $z) (i32.const 2)) (local.get $s)))
      (else (i32.sub (i32.add (local.get $z) (i32.const 1)) (local.get $s)))))

  ;; line-shape.ts leadNeedsLook, for LEAD code $lead (not LEAD_NONE) of the text at $p.
  (func $leadNeedsLook (param $p i32) (param $end i32) (param $lead i32) (result i32)
    (local $j i32) (local $w i32) (local $n i32) (local $i i32)
    (if (i32.eq (local.get $lead) (i32.const 1)) (then (return (i32.const 1))))
    (if (i32.eq (local.get $lead) (i32.const 2))
      (then (return (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 32)))))
    (if (i32.eq (local.get $lead) (i32.const 3))
      (then
        (local.set $j (i32.add (local.get $p) (i32.const 1)))
        (block $stop
          (loop $digits
            (br_if $stop (i32.ge_s (local.get $j) (local.get $end)))
            (br_if $stop (i32.eqz (call $isDigit (i32.load8_u (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $digits)))
        (return (i32.and
          (i32.lt_s (local.get $j) (local.get $end))
          (i32.eq (i32.load8_u (local.get $j)) (i32.const 41))))))
    ;; A lead word.
    (local.set $w (i32.add (i32.const 384) (i32.shl (i32.sub (local.get $lead) (i32.const 4)) (i32.const 2))))
    (local.set $n (i32.load16_u offset=2 (local.get $w)))
    (local.set $w (i32.load16_u (local.get $w)))
    (if (i32.gt_s (i32.add (local.get $p) (local.get $n)) (local.get $end)) (then (return (i32.const 0))))
    (block $differ
      (loop $next
        (if (i32.ge_s (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne
          (i32.load8_u (i32.add (local.get $p) (local.get $i)))
          (i32.load8_u (i32.add (local.get $w) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; line-shape.ts shapeOf: the kind (0 LOOK, 1 QUIET, 2 QUIET_INDENTED, 3 BLANK) of the line [$s, $e) that holds no
  ;; literal; $cr is the first \r at or after $s (or beyond the line).
  (func $shape (param $s i32) (param $e i32) (param $cr i32) (result i32)
    (local $end i32) (local $p i32) (local $indented i32) (local $ch i32) (local $j i32) (local $k i32)
    (local $lead i32) (local $bits i32) (local $stop i32) (local $v v128)
    (local.set $end (local.get $e))
    (block $b
      (loop $l
        (br_if $b (i32.le_s (local.get $end) (local.get $s)))
        (br_if $b (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 13)))
        (local.set $end (i32.sub (local.get $end) (i32.const 1)))
        (br $l)))
    (local.set $p (i32.add (local.get $s) (call $timestamp (local.get $s) (local.get $end))))
    (if (i32.lt_s (local.get $cr) (local.get $end))
      (then
        ;; A progress redraw: the text a person reads follows the last \r.
        (local.set $p (i32.sub (local.get $end) (i32.const 1)))
        (loop $back
          (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 13))
            (then
              (local.set $p (i32.sub (local.get $p) (i32.const 1)))
              (br $back))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.eq (local.get $p) (local.get $end)) (then (return (i32.const 0))))))
    (block $text
      (loop $indent
        (br_if $text (i32.ge_s (local.get $p) (local.get $end)))
        (local.set $ch (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $ch) (i32.const 32)) (i32.eq (local.get $ch) (i32.const 9)))
          (then
            (local.set $indented (i32.const 1))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $indent)))
        (br_if $text (i32.ne (local.get $ch) (i32.const 27)))
        ;; Colour codes (CSI) are skipped; rarer escapes go the slow way.
        (if (i32.ge_s (i32.add (local.get $p) (i32.const 1)) (local.get $end)) (then (return (i32.const 0))))
        (if (i32.ne (i32.load8_u offset=1 (local.get $p)) (i32.const 91)) (then (return (i32.const 0))))
        (local.set $j (i32.add (local.get $p) (i32.const 2)))
        (block $params
          (loop $param
            (local.set $k (select (i32.load8_u (local.get $j)) (i32.const 0) (i32.lt_s (local.get $j) (local.get $end))))
            (br_if $params (i32.gt_u (i32.sub (local.get $k) (i32.const 0x20)) (i32.const 0x1f)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $param)))
        (if (i32.gt_u (i32.sub (local.get $k) (i32.const 0x40)) (i32.const 0x3e)) (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $j) (i32.const 1)))
        (br $indent)))
    (if (i32.ge_s (local.get $p) (local.get $end)) (then (return (i32.const 3))))
    (local.set $lead (i32.load8_u offset=128 (i32.load8_u (local.get $p))))
    (if (local.get $lead)
      (then (if (call $leadNeedsLook (local.get $p) (local.get $end) (local.get $lead)) (then (return (i32.const 0))))))
    ;; A first token with `:` can be a `file:line` location; a lone token at column 0 an eslint file header. Sixteen
    ;; bytes at a time: which comes first, a space or a `:`/tab.
    (block $token
      (loop $next
        (local.set $v (v128.load (local.get $p)))
        (local.set $bits (i8x16.bitmask (v128.or
          (i8x16.eq (local.get $v) (i8x16.splat (i32.const 32)))
          (v128.or
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 58)))
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 9)))))))
        (local.set $stop (i32.sub (local.get $end) (local.get $p)))
        (if (i32.lt_s (local.get $stop) (i32.const 16))
          (then (local.set $bits (i32.and (local.get $bits) (i32.sub (i32.shl (i32.const 1) (local.get $stop)) (i32.const 1))))))
        (if (local.get $bits)
          (then
            (if (i32.eq (i32.load8_u (i32.add (local.get $p) (i32.ctz (local.get $bits)))) (i32.const 32))
              (then (br $token)))
            (return (i32.const 0))))
        (if (i32.le_s (local.get $stop) (i32.const 16))
          (then
            ;; The line is one token.
            (if (i32.eqz (local.get $indented)) (then (return (i32.const 0))))
            (br $token)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i32.add (i32.const 1) (local.get $indented)))

  ;; classifyLines (line-shape.ts) over the region [$at, $at + $len) that `scan` just scanned: $nl holds its $lines
  ;; newline addresses, $cand its $cands candidate addresses, $crList its $crCount carriage returns. Writes each line's kind to $codes and its end, as an
  ;; offset in the region, to $ends (which may be $nl: each end is written after its newline is read); returns the
  ;; number of lines. A line longer than $maxLine, or with a candidate, must be looked at.
  (func (export "classify") (param $at i32) (param $len i32) (param $nl i32) (param $lines i32) (param $cand i32)
      (param $cands i32) (param $crList i32) (param $crCount i32) (param $codes i32) (param $ends i32) (param $maxLine i32)
      (result i32)
    (local $limit i32) (local $s i32) (local $e i32) (local $li i32) (local $n i32) (local $ci i32) (local $next i32)
    (local $cr i32) (local $cri i32) (local $code i32)
    (local.set $limit (i32.add (local.get $at) (local.get $len)))
    (local.set $s (local.get $at))
    (local.set $cr (i32.sub (local.get $at) (i32.const 1)))
    (local.set $next (select (i32.load (local.get $cand)) (i32.add (local.get $limit) (i32.const 1)) (i32.gt_s (local.get $cands) (i32.const 0))))
    (block $done
      (loop $line
        (br_if $done (i32.ge_s (local.get $s) (local.get $limit)))
        (local.set $e (local.get $limit))
        (if (i32.lt_s (local.get $li) (local.get $lines))
          (then
            (local.set $e (i32.load (i32.add (local.get $nl) (i32.shl (local.get $li) (i32.const 2)))))
            (if (i32.gt_s (local.get $e) (local.get $limit)) (then (local.set $e (local.get $limit))))
            (local.set $li (i32.add (local.get $li) (i32.const 1)))))
        (i32.store (i32.add (local.get $ends) (i32.shl (local.get $n) (i32.const 2))) (i32.sub (local.get $e) (local.get $at)))
        (if (i32.or
              (i32.lt_s (local.get $next) (local.get $e))
              (i32.gt_s (i32.sub (local.get $e) (local.get $s)) (local.get $maxLine)))
          (then (local.set $code (i32.const 0)))
          (else
            ;; The first \r at or after the line's start ($limit when none).
            (block $found
              (loop $seek
                (br_if $found (i32.ge_s (local.get $cr) (local.get $s)))
                (if (i32.ge_s (local.get $cri) (local.get $crCount))
                  (then
                    (local.set $cr (local.get $limit))
                    (br $found)))
                (local.set $cr (i32.load (i32.add (local.get $crList) (i32.shl (local.get $cri) (i32.const 2)))))
                (local.set $cri (i32.add (local.get $cri) (i32.const 1)))
                (br $seek)))
            (local.set $code (call $shape (local.get $s) (local.get $e) (local.get $cr)))))
        (i32.store8 (i32.add (local.get $codes) (local.get $n)) (local.get $code))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $s (i32.add (local.get $e) (i32.const 1)))
        (block $caught
          (loop $skip
            (br_if $caught (i32.ge_s (local.get $next) (local.get $s)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (local.set $next (select
              (i32.load (i32.add (local.get $cand) (i32.shl (local.get $ci) (i32.const 2))))
              (i32.add (local.get $limit) (i32.const 1))
              (i32.lt_s (local.get $ci) (local.get $cands))))
            (br $skip)))
        (br $line)))
    (local.get $n))
)
