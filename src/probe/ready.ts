// Waiting until PROGRAM is up: a fixed settle time, or a server answering on
// loopback. A PID namespace shares the network with the host, so the probe
// can connect from outside.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Namespace } from './namespace.js';
import type { Readiness } from './types.js';

export interface ReadyOptions {
  readonly settleMs: number;
  readonly readyUrl?: string | undefined;
  readonly readyPort?: number | undefined;
  readonly readyTimeoutMs: number;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function urlAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}

export async function waitUntilUp(ns: Namespace, options: ReadyOptions, startedAt: number): Promise<Readiness> {
  const { readyUrl, readyPort } = options;
  if (readyUrl === undefined && readyPort === undefined) {
    const until = startedAt + options.settleMs;
    while (!ns.ended() && performance.now() < until) await sleep(Math.min(20, until - performance.now()));
    return { how: 'settle', ready: !ns.ended(), ms: performance.now() - startedAt };
  }
  const how = readyUrl !== undefined ? 'url' : 'port';
  const until = startedAt + options.readyTimeoutMs;
  while (!ns.ended() && performance.now() < until) {
    const up = readyUrl !== undefined ? await urlAnswers(readyUrl) : await portOpen(readyPort ?? 0);
    if (up && !ns.ended()) return { how, ready: true, ms: performance.now() - startedAt };
    await sleep(50);
  }
  return { how, ready: false, ms: performance.now() - startedAt };
}
