// ts-init-probe --image: the checks run on real images through podman (runc,
// see helpers/images.ts), each image built here from a Dockerfile in
// test/probe/images/, and on the docker path through a fake docker CLI that
// records its arguments and has podman do the work (no Docker engine here).
//
// Without podman the file skips with a message, unless E2E_REQUIRE=1 (set
// by .ci/run, which installs podman): there a skip would hide a failure.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { probeMain } from '../../src/probe/cli.js';
import { probe, type ProbeOptions, type ProbeRun } from '../../src/index.js';
import { exit, reaping, stop } from './helpers/checks.js';
import { ROOT, run, waitFor } from '../helpers/harness.js';
import { buildImages, configurePodman, containersOfProbe, type Fixture, PODMAN, podman, removeImages } from './helpers/images.js';

const PROBE_BIN = join(ROOT, 'bin/ts-init-probe');
const REQUIRED = process.env.E2E_REQUIRE === '1';

// Short settle, reap and stop timeouts: each known-bad image waits for its SIGKILL.
const FAST = { engine: 'podman', settleMs: 500, orphans: 4, reapTimeoutMs: 1000, stopTimeoutMs: 1000 } as const;

const work = mkdtempSync(join(tmpdir(), 'ts-init-probe-image-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

async function usable(): Promise<string | undefined> {
  if (PODMAN === undefined) return 'podman is not installed (apt-get install podman runc busybox-static)';
  await configurePodman(work);
  const r = await podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], 60_000);
  return r.exitCode === 0 ? undefined : `podman does not work here: ${r.stderr.trim().split('\n')[0] ?? ''}`;
}

const problem = await usable();
if (problem !== undefined && REQUIRED) t.fail(`E2E_REQUIRE=1 but ${problem}`);
const skip = problem ?? false;

let images = {} as Record<Fixture | 'base', string>;
if (skip === false) {
  const t0 = performance.now();
  images = await buildImages();
  t.comment(`fixture images built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t.teardown(async () => {
    await removeImages();
  });
}

/** Probes in this process; afterwards no container of ours may be left, running or not. */
async function probeImage(t: Test, options: Omit<ProbeOptions, 'command'> & { command?: readonly string[] }) {
  const t0 = performance.now();
  const report = await probe({ ...FAST, command: [], ...options });
  t.comment(`probe of ${options.image ?? '?'}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t.same(await containersOfProbe(process.pid), [], 'no container left behind');
  return report;
}

t.test('a Node server as PID 1: reaping FAIL, stop FAIL, exit 137; exit status 1', { skip }, async (t) => {
  // --ready-port: the port is published to 127.0.0.1 and connected to there.
  const report = await probeImage(t, { image: images.server, readyPort: 8080 });
  const run = report.runs[0];
  t.equal(report.target.kind, 'image');
  t.match(report.target, { engine: 'podman', observedThrough: 'host-proc' }, 'the local engine: zombies counted in /proc');
  t.equal(run?.start.verdict, 'pass', run?.start.summary ?? '');
  t.equal(run?.start.readiness.how, 'port');
  t.equal(run?.pid1?.comm, 'node');
  const r = reaping(run);
  t.equal(r.verdict, 'fail', r.summary);
  t.equal(r.created, FAST.orphans, 'orphans made with exec');
  t.equal(r.zombiesLeft, FAST.orphans, 'every one left a zombie under PID 1');
  t.equal(r.madeWith, 'sh');
  const s = stop(run);
  t.equal(s.verdict, 'fail', s.summary);
  t.equal(s.killed, true, 'podman stop had to SIGKILL');
  t.equal(s.pid1CatchesSigterm, true, "Node's own handler catches SIGTERM, then drops it as PID 1");
  t.equal(exit(run).runtimeCode, 137);
  t.equal(exit(run).verdict, 'fail');
  t.equal(report.exitCode, 1);
  t.match(report.advice.join('\n'), /process\.on\('SIGTERM'/);
  t.match(report.advice.join('\n'), /use ENTRYPOINT \["ts-init", "--"\]/, 'the image has no ENTRYPOINT: ts-init in front of its CMD');
});

t.test('the same server behind ENTRYPOINT ["ts-init", "--"]: all PASS, exit status 0; --json and --junit', { skip }, async (t) => {
  const junit = join(work, 'report.xml');
  let out = '';
  let err = '';
  // --ready-port: the checks start once the server (ts-init's child) is up.
  const code = await probeMain(
    [
      '--image',
      images.tsinit,
      '--engine',
      'podman',
      '--ready-port',
      '8080',
      '--orphans',
      '4',
      '--reap-timeout',
      '1',
      '--stop-timeout',
      '1',
      '--json',
      '--junit',
      junit,
    ],
    { out: (s) => (out += s), err: (s) => (err += s) },
  );
  t.equal(code, 0, err);
  t.same(await containersOfProbe(process.pid), [], 'no container left behind');
  const report = JSON.parse(out) as { passed: boolean; runs: ProbeRun[]; target: { kind: string } };
  const run = report.runs[0];
  t.equal(report.passed, true);
  t.equal(run?.pid1?.comm, 'node', "ts-init (its launcher exec'd node) is PID 1");
  t.same(run?.pid1?.children, ['node'], 'the server is its child');
  t.equal(reaping(run).verdict, 'pass', reaping(run).summary);
  t.equal(reaping(run).reaped, 4);
  t.equal(stop(run).verdict, 'pass', stop(run).summary);
  t.equal(exit(run).runtimeCode, 143, 'the server died of the forwarded SIGTERM');
  const xml = readFileSync(junit, 'utf8');
  t.match(xml, /<testsuites name="ts-init-probe" tests="4" failures="0" errors="0" skipped="0">/);
  for (const name of ['start', 'reaping', 'stop', 'exit'])
    t.match(xml, new RegExp(`<testcase classname="ts-init-probe.as-is" name="${name}" time="\\d+\\.\\d{3}">`));
  t.match(xml, /&quot;reaped&quot;:4/, 'the figures go into the XML too');
  t.notMatch(xml, /<failure/);
});

t.test('an entrypoint script that starts the server without exec: stop FAIL, the advice names exec', { skip }, async (t) => {
  const report = await probeImage(t, { image: images.noexec });
  const run = report.runs[0];
  t.equal(stop(run).verdict, 'fail', stop(run).summary);
  t.equal(exit(run).runtimeCode, 137);
  t.equal(run?.pid1?.exe, '/usr/bin/busybox', 'PID 1 is the shell (busybox sh)');
  t.same(run?.pid1?.children, ['node']);
  t.match(report.advice.join('\n'), /shell script \(entrypoint\.sh\) needs `exec` in front of the command that starts node/);
  t.match(report.advice.join('\n'), /use ENTRYPOINT \["ts-init", "--", "\/entrypoint\.sh"\]/, "ts-init goes in front of the image's entrypoint");
  t.equal(report.exitCode, 1);
});

t.test('an app that needs a passwd entry, --uid 10000: fails as it is, passes with TS_INIT_FIX_USER=1', { skip }, async (t) => {
  const bare = await probeImage(t, { image: images.passwd, uid: 10000 });
  const asIs = bare.runs[0];
  t.equal(asIs?.start.verdict, 'fail', asIs?.start.summary ?? '');
  t.match(asIs?.start.summary ?? '', /exited on its own .*exit status 1/);
  t.equal(asIs?.user?.verdict, 'fail', asIs?.user?.summary ?? '');
  t.match(asIs?.user?.flagged ?? [], [/uv_os_get_passwd returned ENOENT/], 'the log line that points at the user lookup');
  t.match(bare.advice.join('\n'), /TS_INIT_FIX_USER=1/);
  t.equal(bare.exitCode, 1);

  const fixed = await probeImage(t, { image: images.passwd, uid: 10000, env: { TS_INIT_FIX_USER: '1' } });
  const run = fixed.runs[0];
  t.equal(run?.start.verdict, 'pass', run?.start.summary ?? '');
  t.equal(run?.user?.verdict, 'pass', run?.user?.summary ?? '');
  t.same(run?.user?.actual, { uid: 10000, gid: 0 }, 'no passwd entry added by podman (--passwd=false): the app runs as 10000:0');
  t.equal(run?.user?.idUn?.output, 'app', "`id -un` in the app's environment (nss_wrapper)");
  t.match(run?.user?.getent?.output ?? '', /^app:x:10000:0:/);
  t.equal(run?.user?.home?.writable, true, 'HOME is writable');
  t.equal(fixed.exitCode, 0, fixed.advice.join('\n'));
});

t.test('an image without a shell: orphans made with its node; reaping FAIL', { skip }, async (t) => {
  const report = await probeImage(t, { image: images.noshell });
  const r = reaping(report.runs[0]);
  t.equal(r.madeWith, 'node', 'no sh: node made the orphans');
  t.equal(r.verdict, 'fail', r.summary);
  t.equal(r.zombiesLeft, FAST.orphans);
  t.equal(stop(report.runs[0]).verdict, 'fail');
});

t.test('an image with neither sh nor node: a clear SKIP, the other checks still run', { skip }, async (t) => {
  const report = await probeImage(t, { image: images.static });
  const run = report.runs[0];
  t.equal(run?.reaping.verdict, 'skip');
  t.equal(run?.reaping.summary, 'cannot make orphans in this image: no shell (sh) and no node to start them with');
  t.equal(stop(run).verdict, 'fail', 'busybox sleep as PID 1 ignores SIGTERM');
  t.match(report.advice.join('\n'), /could not leave orphans/);
});

t.test('--with-init on the Node server image: as it is, behind podman --init (catatonit), behind ts-init', { skip }, async (t) => {
  const report = await probeImage(t, { image: images.server, withInit: true });
  const [asIs, engineInit, tsInit] = report.runs;
  t.same(
    report.runs.map((r) => r.heading),
    ['as PID 1', 'with --init (catatonit)', 'behind ts-init'],
  );
  t.equal(stop(asIs).verdict, 'fail');
  t.equal(engineInit?.pid1?.comm, 'podman-init', "podman's --init is catatonit, as /run/podman-init");
  t.equal(reaping(engineInit).verdict, 'pass', reaping(engineInit).summary);
  t.equal(stop(engineInit).verdict, 'pass', stop(engineInit).summary);
  t.equal(reaping(tsInit).verdict, 'pass', reaping(tsInit).summary);
  t.equal(stop(tsInit).verdict, 'pass', stop(tsInit).summary);
  t.equal(exit(tsInit).runtimeCode, 143);
  t.match(tsInit?.argv ?? [], [
    'podman',
    'run',
    '--volume',
    /:\/ts-init-probe\/node_modules\/ts-init:ro$/,
    '--entrypoint',
    '/ts-init-probe/node_modules/ts-init/bin/ts-init',
  ]);
  t.match(report.advice.join('\n'), /with ENTRYPOINT \["ts-init", "--"\]: stopped in \d+ ms; with podman run --init \(catatonit\): stopped in \d+ ms/);
  t.equal(report.exitCode, 1, 'the image as it is fails');
});

/** The probe as a separate process (bin/ts-init-probe), and the names of its containers once one exists. */
async function probeProcess(args: string[]): Promise<{ proc: ReturnType<typeof run>; pid: number }> {
  const proc = run(PROBE_BIN, args, { env: { CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '' } });
  const pid = proc.pid ?? 0;
  await waitFor(async () => (await containersOfProbe(pid)).length > 0, 60_000, "the probe's container", 200);
  return { proc, pid };
}

t.test('Ctrl-C: the probe removes its container before it exits', { skip }, async (t) => {
  const { proc, pid } = await probeProcess(['--image', images.server, '--engine', 'podman', '--settle', '60']);
  process.kill(pid, 'SIGINT');
  const r = await proc;
  t.equal(r.exitCode, 130);
  t.same(await containersOfProbe(pid), [], 'no container left behind');
});

t.test('SIGKILL: the watchdog removes the container of a probe that could not', { skip }, async (t) => {
  const { proc, pid } = await probeProcess(['--image', images.server, '--engine', 'podman', '--settle', '60']);
  process.kill(pid, 'SIGKILL');
  await proc;
  await waitFor(async () => (await containersOfProbe(pid)).length === 0, 60_000, 'the watchdog to remove the container', 200);
  t.pass('no container left behind');
});

/** A PATH whose docker is the fake (helpers/fake-docker.sh) and whose podman is the real one. */
function fakeDockerPath(): string {
  const bin = mkdtempSync(join(work, 'bin-'));
  symlinkSync(join(ROOT, 'test/probe/helpers/fake-docker.sh'), join(bin, 'docker'));
  return `${bin}:${process.env.PATH ?? ''}`;
}

/** The recorded docker calls, each as its argument list. */
function dockerCalls(log: string): string[][] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\u001f').slice(0, -1));
}

async function withEnv<T>(env: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

t.test('the docker path (a fake docker that records its arguments): docker first by default, -u without --passwd, stop -t, rm -f', { skip }, async (t) => {
  const log = join(work, 'docker-calls');
  writeFileSync(log, '');
  const report = await withEnv({ PATH: fakeDockerPath(), FAKE_DOCKER_LOG: log }, () =>
    probe({
      ...FAST,
      engine: undefined,
      image: images.server,
      uid: 10000,
      env: { APP_MODE: 'test' },
      engineArgs: ['--network=none'],
      withInit: true,
      command: ['node', '/app/server.cjs'],
    }),
  );
  t.match(report.target, { kind: 'image', engine: 'docker' }, 'docker answers, so it is chosen before podman');
  const calls = dockerCalls(log);
  t.same(
    calls[0],
    ['version', '--format', '{{.Server.Version}} {{range .Server.Components}}{{.Name}};{{end}}'],
    'asked whether docker answers, and which engine serves it',
  );
  const runs = calls.filter((c) => c[0] === 'run' && c.includes('--detach'));
  t.equal(runs.length, 3, 'as it is, --init, ts-init');
  for (const c of runs) {
    t.match(c, [
      'run',
      '--detach',
      '--name',
      /^ts-init-probe-\d+-\d+-\d+-[0-9a-f]{6}$/,
      '--label',
      /^ts-init-probe\.boot=/,
      '--label',
      /^ts-init-probe\.owner=\d+-\d+$/,
    ]);
    t.ok(c.includes('--user') && c[c.indexOf('--user') + 1] === '10000:0', '-u 10000:0');
    t.notOk(
      c.some((a) => a.startsWith('--passwd')),
      'no --passwd flag: docker adds no passwd entry',
    );
    t.ok(c.includes('APP_MODE=test') && c.includes('--network=none'), '--env and --engine-arg reach run');
    t.same(c.slice(-2), ['node', '/app/server.cjs'], 'CMD ARGS last');
  }
  t.ok(runs[1]?.includes('--init'), "the engine's own --init");
  const names = runs.map((c) => c[3]);
  for (const name of names) {
    t.ok(
      calls.some((c) => c[0] === 'stop' && c[1] === '-t' && c[2] === '1' && c[3] === name),
      `stop -t 1 ${name ?? ''}`,
    );
    t.ok(
      calls.some((c) => c[0] === 'rm' && c[1] === '--force' && c.includes(name ?? '')),
      `rm --force ${name ?? ''}`,
    );
  }
  const lookups = calls.filter((c) => c[0] === 'exec' && c.includes('--user') && c.includes('id'));
  t.ok(lookups.length > 0, 'the user lookups run through exec -u');
  t.ok(
    lookups.some((c) => c.includes('--env') && c.some((a) => a.startsWith('PATH='))),
    "in PROGRAM's environment",
  );
  t.notOk(
    lookups.some((c) => c.includes('APP_MODE=test')),
    'of which only what a lookup reads goes on the command line (no secrets)',
  );
  t.ok(
    calls.some((c) => c[0] === 'ps' && !c.includes('label=ts-init-probe.owner') && c.some((a) => a.startsWith('label=ts-init-probe.boot='))),
    'leftovers looked for by label',
  );
  t.same(await containersOfProbe(process.pid), [], 'no container left behind');
});

t.test(
  'the docker path: a CLI whose daemon does not answer is passed over for podman; podman behind the docker CLI; a remote engine is read through exec',
  { skip },
  async (t) => {
    const log = join(work, 'docker-calls-down');
    writeFileSync(log, '');
    const down = await withEnv({ PATH: fakeDockerPath(), FAKE_DOCKER_LOG: log, FAKE_DOCKER_DOWN: '1' }, () =>
      probe({ ...FAST, engine: undefined, image: images.tsinit, command: [] }),
    );
    t.match(down.target, { engine: 'podman' });
    t.same(
      dockerCalls(log).map((c) => c[0]),
      ['version'],
      'docker was only asked whether it answers',
    );

    // A remote engine, as GitLab's docker:dind: the port is published on all of
    // the engine's addresses and reached at DOCKER_HOST's host (here the fake
    // docker's podman runs on this machine, so 127.0.0.1 reaches it).
    const remoteLog = join(work, 'docker-calls-remote');
    writeFileSync(remoteLog, '');
    const compat = await withEnv({ PATH: fakeDockerPath(), FAKE_DOCKER_PODMAN: '1' }, () =>
      probe({ ...FAST, engine: 'docker', image: images.server, uid: 10000, command: [] }),
    );
    t.match(
      compat.advice[0] ?? '',
      /^docker here talks to podman's Docker-compatible service, which gives UID 10000 a passwd entry/,
      'docker served by podman: the user check is told',
    );
    t.equal(compat.runs[0]?.user?.idUn?.output, '10000', "podman's entry for the UID, as the note says");

    const remote = await withEnv({ PATH: fakeDockerPath(), FAKE_DOCKER_REMOTE: '1', FAKE_DOCKER_LOG: remoteLog, DOCKER_HOST: 'tcp://127.0.0.1:2375' }, () =>
      probe({ ...FAST, engine: 'docker', image: images.server, readyPort: 8080, command: [] }),
    );
    t.match(remote.target, { engine: 'docker', observedThrough: 'exec' }, 'State.Pid is not in this /proc: /proc is read inside');
    t.ok(
      dockerCalls(remoteLog).some((c) => c[0] === 'run' && c.includes('--publish') && c[c.indexOf('--publish') + 1] === '0.0.0.0::8080'),
      "published on the engine's every address",
    );
    t.equal(remote.runs[0]?.start.summary.startsWith('accepting connections'), true, remote.runs[0]?.start.summary ?? '');
    const r = reaping(remote.runs[0]);
    t.equal(r.verdict, 'fail', r.summary);
    t.equal(r.zombiesLeft, FAST.orphans, 'the zombies counted through exec');
    t.equal(stop(remote.runs[0]).pid1CatchesSigterm, true, "PID 1's SigCgt read through exec");
    t.equal(remote.runs[0]?.pid1?.comm, 'node');
    t.same(await containersOfProbe(process.pid), [], 'no container left behind');
  },
);

t.test('image mode: bad input and a missing image are one-line errors, exit 2', { skip }, async (t) => {
  const cli = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await probeMain(args, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };
  const missing = await cli(['--image', 'localhost/ts-init-probe-test-no-such-image:0', '--engine', 'podman']);
  t.equal(missing.code, 2);
  t.match(missing.err, /^ts-init-probe: image 'localhost\/ts-init-probe-test-no-such-image:0' is not in podman's store and `podman pull` failed: /);
  const noEngine = await withEnv({ PATH: '/nonexistent' }, () => cli(['--image', images.server]));
  t.equal(noEngine.code, 2);
  t.equal(noEngine.err, 'ts-init-probe: no container engine answers (tried docker, then podman): docker: not on PATH; podman: not on PATH\n');
});

t.test('every image built here is removed again, intermediate ones included', { skip }, async (t) => {
  t.same(await removeImages(), [], 'no image with our label is left');
});
