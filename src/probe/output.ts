// PROGRAM's output as the report shows it: the beginning and the end of each
// stream, and from those the lines worth showing. A program that fails at
// start-up often says why first and then prints its usage or a stack trace,
// so the last lines alone miss the reason (issue 14, item 5).

const HEAD = 2048;
const TAIL = 4096;
/** Marks where the middle of a long stream was left out. */
export const ELIDED = '…';

/** Keeps the first HEAD and the last TAIL characters of a stream. */
export class HeadTail {
  private head = '';
  private tail = '';
  private dropped = false;

  add(chunk: Buffer | string): void {
    let text = chunk.toString();
    if (this.head.length < HEAD) {
      const take = HEAD - this.head.length;
      this.head += text.slice(0, take);
      text = text.slice(take);
    }
    const joined = this.tail + text;
    if (joined.length > TAIL) this.dropped = true;
    this.tail = joined.slice(-TAIL);
  }

  /** The stream, with ELIDED on a line of its own where its middle was dropped. */
  toString(): string {
    if (!this.dropped) return this.head + this.tail;
    return `${this.head}\n${ELIDED}\n${this.tail}`;
  }
}

export function headTail(text: string): string {
  const h = new HeadTail();
  h.add(text);
  return h.toString();
}

// Words with which programs say that something went wrong.
const REASON =
  /\b(?:error|invalid|unknown|unrecognized|not found|no such|cannot|can't|could not|failed|denied|refused|not permitted|fatal|panic|exception|missing|illegal|bad|usage)\b/i;

/**
 * The lines to show for a program that ended too early: the first line that
 * says what went wrong (wherever it is), then the last `last` lines,
 * in their order, with ELIDED where lines were skipped.
 */
export function excerpt(output: { readonly stdout: string; readonly stderr: string }, last = 5): string[] {
  const lines = [output.stdout, output.stderr].flatMap((s) => s.split('\n')).filter((l) => l.trim() !== '');
  const keep = new Set<number>();
  const reason = lines.findIndex((line) => line !== ELIDED && REASON.test(line));
  if (reason >= 0) keep.add(reason);
  for (let i = Math.max(0, lines.length - last); i < lines.length; i++) keep.add(i);
  const out: string[] = [];
  let previous = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (i > previous + 1 && out[out.length - 1] !== ELIDED) out.push(ELIDED);
    out.push(lines[i] ?? '');
    previous = i;
  }
  return out;
}
