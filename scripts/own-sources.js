// Cuts a bundle's source map down to the project's own sources: code that
// came from node_modules (execa, pino, signal-exit) is left unmapped. The
// maps exist for the test suite's coverage, which follows them back to the
// files they name: a dependency named there shows up in the report (and in
// its totals) as if it were ours. Used by scripts/bundle.js.
//
// Source map v3 "mappings": lines separated by ';', segments by ',', each
// segment 1, 4 or 5 base64 VLQ numbers (generated column, source, original
// line, original column, name), each relative to the one before it.
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decode(segment) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGITS.indexOf(char);
    if (digit < 0) throw new Error(`own-sources: not a base64 VLQ digit: '${char}'`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encode(values) {
  let out = '';
  for (const n of values) {
    let rest = n < 0 ? (-n << 1) | 1 : n << 1;
    do {
      const digit = rest & 31;
      rest >>>= 5;
      out += DIGITS[rest > 0 ? digit | 32 : digit];
    } while (rest > 0);
  }
  return out;
}

/** The same map with every source whose path has a node_modules folder removed, and its code unmapped. */
export function ownSourcesOnly(map) {
  const keep = map.sources.map((source) => !/(^|\/)node_modules\//.test(source));
  let next = 0;
  const newIndex = keep.map((kept) => (kept ? next++ : undefined));
  // Absolute values while reading, relative ones while writing.
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const wrote = { source: 0, line: 0, column: 0, name: 0 };
  const mappings = map.mappings
    .split(';')
    .map((line) => {
      let readColumn = 0;
      let wroteColumn = 0;
      return line
        .split(',')
        .filter((segment) => segment !== '')
        .map((segment) => {
          const v = decode(segment);
          readColumn += v[0];
          const out = [readColumn - wroteColumn];
          wroteColumn = readColumn;
          if (v.length >= 4) {
            read.source += v[1];
            read.line += v[2];
            read.column += v[3];
            if (v.length === 5) read.name += v[4];
            const source = newIndex[read.source];
            if (source !== undefined) {
              out.push(source - wrote.source, read.line - wrote.line, read.column - wrote.column);
              Object.assign(wrote, { source, line: read.line, column: read.column });
              if (v.length === 5) {
                out.push(read.name - wrote.name);
                wrote.name = read.name;
              }
            }
          }
          return encode(out);
        })
        .join(',');
    })
    .join(';');
  const own = (list) => list?.filter((_, i) => keep[i]);
  return { ...map, sources: own(map.sources), ...(map.sourcesContent ? { sourcesContent: own(map.sourcesContent) } : {}), mappings };
}
