// The probe's report as a table for people (one column per run) or as JSON.
import { ELIDED, excerpt } from './output.js';
import type { Check, Lookup, ProbeReport, ProbeRun } from './types.js';

const ROWS: readonly { readonly key: 'start' | 'user' | 'reaping' | 'stop' | 'exit'; readonly title: string }[] = [
  { key: 'start', title: 'start' },
  { key: 'user', title: 'user (--uid)' },
  { key: 'reaping', title: 'reaping' },
  { key: 'stop', title: 'stop (SIGTERM)' },
  { key: 'exit', title: 'exit status' },
];

function cell(check: Check | undefined): string {
  if (check === undefined) return '';
  return `${check.verdict.toUpperCase().padEnd(4)}  ${check.summary}`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, col) => (col === r.length - 1 ? c : c.padEnd(widths[col] ?? 0)))
      .join('   ')
      .trimEnd(),
  );
}

export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** What was probed, as one line: the command, or the image through its engine. */
export function subject(report: ProbeReport): string {
  const command = report.command.map(quote).join(' ');
  if (report.target.kind === 'namespace') return command;
  return `--image ${report.target.image}${command !== '' ? ` -- ${command}` : ''} (${report.target.engine})`;
}

function lookup(l: Lookup | undefined, none: string): string {
  if (l === undefined) return '(not asked)';
  return l.output || none;
}

function userLines(report: ProbeReport): string[] {
  const lines: string[] = [];
  for (const run of report.runs) {
    const user = run.user;
    if (user?.idUn === undefined) continue;
    const getent = lookup(user.getent, `(no entry, exit ${String(user.getent?.exitCode)})`);
    const home = user.home === undefined ? '' : `; HOME ${user.home.path ?? '(unset)'} ${user.home.writable ? 'writable' : 'not writable'}`;
    lines.push(`${run.heading}, as ${user.uid}:${user.gid}: \`id -un\` → ${lookup(user.idUn, '(nothing)')}; \`getent passwd ${user.uid}\` → ${getent}${home}`);
  }
  return lines.length > 0 ? [...lines, ''] : [];
}

export function renderTable(report: ProbeReport): string {
  const rows: string[][] = [['check', ...report.runs.map((run) => run.heading)]];
  for (const { key, title } of ROWS) {
    if (report.runs.every((run) => run[key] === undefined)) continue;
    rows.push([title, ...report.runs.map((run: ProbeRun) => cell(run[key]))]);
  }
  const lines = [`ts-init-probe: ${subject(report)}`, '', ...table(rows), '', ...userLines(report)];
  for (const run of report.runs) {
    if (run.start.earlyExit === undefined) continue;
    const shown = excerpt(run.output);
    if (shown.length > 0) lines.push(`Last output ${run.heading}:`, ...shown.map((l) => (l === ELIDED ? `  ${ELIDED}` : `  | ${l}`)), '');
  }
  lines.push('Advice:', ...report.advice.map((a) => `  - ${a}`), '');
  lines.push(report.passed ? 'Result: PASS' : 'Result: FAIL');
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: ProbeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
