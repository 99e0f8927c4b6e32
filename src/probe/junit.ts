// The report as JUnit XML, the test-report format GitLab, Jenkins, GitHub
// (through report actions) and most CI systems read: one <testsuite> per run
// (column), one <testcase> per check, a failed check as <failure>, a skipped
// one as <skipped>, and each check's figures as JSON in <system-out>.
import { subject } from './report.js';
import type { Check, ProbeReport, ProbeRun, Timings } from './types.js';

const CHECKS = ['start', 'user', 'reaping', 'stop', 'exit'] as const;

function xml(text: string): string {
  return (
    text
      // XML 1.0 allows no control characters but tab, newline and return.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

function seconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

function testcase(run: ProbeRun, name: (typeof CHECKS)[number], check: Check, timings: Timings, advice: string): string {
  const { verdict, summary, ...figures } = check;
  const open = `    <testcase classname="ts-init-probe.${xml(run.label)}" name="${xml(name)}" time="${seconds(timings[name])}">`;
  const result =
    verdict === 'fail'
      ? `      <failure message="${xml(summary)}" type="fail">${xml(`${summary}\n\n${advice}`)}</failure>\n`
      : verdict === 'skip'
        ? `      <skipped message="${xml(summary)}"/>\n`
        : '';
  const out = `      <system-out>${xml(`${verdict.toUpperCase()}: ${summary}\n${JSON.stringify(figures)}`)}</system-out>\n`;
  return `${open}\n${result}${out}    </testcase>`;
}

export function renderJunit(report: ProbeReport): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  // A failure's text carries the advice, where CI shows it.
  const advice = ['Advice:', ...report.advice.map((a) => `- ${a}`)].join('\n');
  for (const run of report.runs) {
    const cases: string[] = [];
    let f = 0;
    let s = 0;
    for (const name of CHECKS) {
      const check = run[name];
      if (check === undefined) continue;
      if (check.verdict === 'fail') f++;
      if (check.verdict === 'skip') s++;
      cases.push(testcase(run, name, check, run.timings, advice));
    }
    tests += cases.length;
    failures += f;
    skipped += s;
    const time = Object.values(run.timings).reduce((a, b) => a + b, 0);
    suites.push(
      `  <testsuite name="${xml(`ts-init-probe ${subject(report)}: ${run.heading}`)}" tests="${cases.length}" failures="${f}" errors="0" skipped="${s}" time="${seconds(time)}">\n` +
        `${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="ts-init-probe" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`
  );
}
