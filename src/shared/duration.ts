// One duration syntax for every option and variable of both commands:
// seconds as a plain number (5, 0.5, .5) or with a unit (500ms, 2s).

/** `5`, `0.5`, `2s`, `500ms` → whole milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(ms|s)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : n * 1000);
}

/** How a duration is written, for error messages. */
export const DURATION_SYNTAX = 'seconds such as 5 or 0.5, or with a unit: 500ms, 2s';
