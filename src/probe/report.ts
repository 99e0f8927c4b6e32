// The probe's report as a table for people (one column per run) or as JSON.
import type { Check, ProbeReport, ProbeRun } from './types.js';

const ROWS: readonly { readonly key: 'start' | 'user' | 'reaping' | 'stop' | 'exit'; readonly title: string }[] = [
  { key: 'start', title: 'start' },
  { key: 'user', title: 'user (--uid)' },
  { key: 'reaping', title: 'reaping' },
  { key: 'stop', title: 'stop (SIGTERM)' },
  { key: 'exit', title: 'exit status' },
];

// Enough to show why an entrypoint that exited at once did so.
const OUTPUT_LINES = 5;

function cell(check: Check | undefined): string {
  if (check === undefined) return '';
  return `${check.verdict.toUpperCase().padEnd(4)}  ${check.summary}`;
}

function heading(run: ProbeRun): string {
  return run.label === 'as-is' ? 'as PID 1' : 'behind ts-init';
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, col) => (col === r.length - 1 ? c : c.padEnd(widths[col] ?? 0))).join('   ').trimEnd());
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function renderTable(report: ProbeReport): string {
  const rows: string[][] = [['check', ...report.runs.map(heading)]];
  for (const { key, title } of ROWS) {
    if (report.runs.every((run) => run[key] === undefined)) continue;
    rows.push([title, ...report.runs.map((run) => cell(run[key]))]);
  }
  const lines = [`ts-init-probe: ${report.command.map(quote).join(' ')}`, '', ...table(rows), ''];
  for (const run of report.runs) {
    const user = run.user;
    if (user === undefined) continue;
    const getent = user.getent.output || `(no entry, exit ${String(user.getent.exitCode)})`;
    lines.push(`${heading(run)}, as ${user.uid}:${user.gid}: \`id -un\` → ${user.idUn.output || '(nothing)'}; \`getent passwd ${user.uid}\` → ${getent}`);
  }
  if (report.runs.some((run) => run.user !== undefined)) lines.push('');
  for (const run of report.runs) {
    if (run.start.earlyExit === undefined) continue;
    const last = `${run.output.stdout}${run.output.stderr}`.split('\n').filter(Boolean).slice(-OUTPUT_LINES);
    if (last.length > 0) lines.push(`Last output ${heading(run)}:`, ...last.map((l) => `  | ${l}`), '');
  }
  lines.push('Advice:', ...report.advice.map((a) => `  - ${a}`), '');
  lines.push(report.passed ? 'Result: PASS' : 'Result: FAIL');
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: ProbeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
