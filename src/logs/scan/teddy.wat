;; Multi-literal prefilter for log lines ("Teddy", after Hyperscan): for every 16 input bytes it tells, with a few
;; SIMD shuffles, which positions may start one of up to 8 groups ("buckets") of short literals. Each of the four
;; literal positions k has two 16-entry tables at 32k (low nibble) and 32k+16 (high nibble); entry bits are buckets.
;; A byte matches position k of bucket b when both its nibbles' entries hold bit b; a position is reported when one
;; bucket matches at all four positions. Input is folded with `| 0x20` (ASCII case), and so are the literals.
;; False positives (nibble cross-products) are allowed: the caller re-checks the line; misses are not.
;; The same pass also lists the newlines, which saves the caller a search per line.
(module
  (memory (export "memory") 2)
  ;; How many newline addresses the last scan wrote.
  (global $newlines (export "newlines") (mut i32) (i32.const 0))
  ;; Scans [p, end) and writes the absolute addresses of candidate positions as i32 at out, and those of newlines at
  ;; nl; returns the number of candidates. Reads up to 19 bytes past end: the caller pads them with a byte that starts
  ;; no literal (and ignores newlines past end).
  (func (export "scan") (param $p i32) (param $end i32) (param $out i32) (param $nl i32) (result i32)
    (local $o i32) (local $n i32) (local $bits i32)
    (local $raw v128) (local $v v128) (local $m v128) (local $fold v128) (local $nib v128) (local $lf v128)
    (local $t0l v128) (local $t0h v128) (local $t1l v128) (local $t1h v128)
    (local $t2l v128) (local $t2h v128) (local $t3l v128) (local $t3h v128)
    (local.set $o (local.get $out))
    (local.set $n (local.get $nl))
    (local.set $lf (i8x16.splat (i32.const 0x0a)))
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
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $raw (v128.load (local.get $p)))
        (local.set $bits (i8x16.bitmask (i8x16.eq (local.get $raw) (local.get $lf))))
        (if (local.get $bits)
          (then
            (loop $line
              (i32.store (local.get $n) (i32.add (local.get $p) (i32.ctz (local.get $bits))))
              (local.set $n (i32.add (local.get $n) (i32.const 4)))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (br_if $line (local.get $bits)))))
        (local.set $v (v128.or (local.get $raw) (local.get $fold)))
        (local.set $m (v128.and
          (i8x16.swizzle (local.get $t0l) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $t0h) (i8x16.shr_u (local.get $v) (i32.const 4)))))
        (local.set $v (v128.or (v128.load offset=1 (local.get $p)) (local.get $fold)))
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.swizzle (local.get $t1l) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $t1h) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.or (v128.load offset=2 (local.get $p)) (local.get $fold)))
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.swizzle (local.get $t2l) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $t2h) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.or (v128.load offset=3 (local.get $p)) (local.get $fold)))
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.swizzle (local.get $t3l) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $t3h) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (if (v128.any_true (local.get $m))
          (then
            (local.set $bits (i8x16.bitmask (i8x16.ne (local.get $m) (v128.const i64x2 0 0))))
            (loop $bit
              (i32.store (local.get $o) (i32.add (local.get $p) (i32.ctz (local.get $bits))))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (br_if $bit (local.get $bits)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (global.set $newlines (i32.shr_u (i32.sub (local.get $n) (local.get $nl)) (i32.const 2)))
    (i32.shr_u (i32.sub (local.get $o) (local.get $out)) (i32.const 2)))
)
