// Fixed split of the development data by repository, so a rule can be checked on repositories it was not written for.

export const FOLDS = 5;

/**
 * The fold of a repository: FNV-1a of its lower-cased name, modulo FOLDS. Depends on the name only, so the split is
 * the same on every machine and at every commit, and a repository's logs never straddle two folds.
 */
export function foldOf(repository: string): number {
  let h = 0x811c9dc5;
  const s = repository.toLowerCase();
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % FOLDS;
}

/** Folds 0–2 are the ones whose misses may be read while writing rules; folds 3–4 are only ever scored. */
export const TUNING_FOLDS: readonly number[] = [0, 1, 2];
export const HELD_OUT_FOLDS: readonly number[] = [3, 4];

/** CiDiff names a case `<project>_<build>`: the project is the repository. */
export function ciDiffRepository(caseName: string): string {
  return caseName.replace(/_\d+$/, "").toLowerCase();
}
