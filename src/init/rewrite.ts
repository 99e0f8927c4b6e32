// Signal rewriting (-r FROM:TO): some servers stop gracefully on a signal
// other than the SIGTERM that `docker stop` sends (nginx on SIGQUIT, Apache
// httpd on SIGWINCH), so the signal is translated before it is forwarded.
import { isForwardable, parseSignal, signalName } from '../shared/signals.js';

/** FROM → TO; TO = 0 means the signal is dropped. */
export type Rewrites = ReadonlyMap<number, number>;

/**
 * Parses one FROM:TO rule. FROM must be a signal ts-init forwards (a rule
 * for SIGKILL or SIGCHLD could never fire, so it is a mistake worth
 * reporting); TO may be any signal, or 0 to drop FROM.
 */
export function parseRewrite(text: string): [number, number] | string {
  const colon = text.indexOf(':');
  if (colon === -1) return `invalid rewrite: '${text}' (expected FROM:TO, e.g. TERM:QUIT, or TERM:0 to drop SIGTERM)`;
  const fromText = text.slice(0, colon);
  const toText = text.slice(colon + 1);
  const from = parseSignal(fromText);
  if (from === undefined) return `invalid rewrite: '${text}' (unknown signal '${fromText}')`;
  if (!isForwardable(from)) return `invalid rewrite: '${text}' (${signalName(from)} is never forwarded, so it cannot be rewritten)`;
  const to = parseSignal(toText, true);
  if (to === undefined) return `invalid rewrite: '${text}' (unknown signal '${toText}'; 0 drops the signal)`;
  return [from, to];
}

/** The signal to forward in place of `signal`; 0 when it is dropped. */
export function rewriteSignal(rewrites: Rewrites, signal: number): number {
  return rewrites.get(signal) ?? signal;
}
