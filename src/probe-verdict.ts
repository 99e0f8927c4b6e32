// What every probe check concludes.

/** skip: the check could not run (PROGRAM was gone before it). */
export type Verdict = 'pass' | 'fail' | 'skip';

export interface Check {
  readonly verdict: Verdict;
  /** One line for the table: figures, or why it failed. */
  readonly summary: string;
}
