/**
 * The floor: no bridge. Each session spawns the fixture and talks to it over its pipes; SIGTERM
 * goes to the fixtures themselves. Whatever a bridge adds is measured against this.
 */
import { performance } from 'node:perf_hooks';
import { PipeSession } from '../client/pipe-session.js';
import type { McpSession } from '../client/session.js';
import { killTagged, treeOf, type ProcessEntry } from '../lib/process-table.js';
import type { ExitTiming, RunningTarget, StartContext, TargetDefinition } from './target.js';

class FloorTarget implements RunningTarget {
  readonly name = 'floor';
  readonly pid = undefined;
  readonly url = undefined;
  readonly idleTreeSize = 0;
  readonly fixtureCommand: readonly string[];
  private readonly tag: string;
  private readonly sessions = new Set<PipeSession>();

  constructor(context: StartContext) {
    this.tag = context.tag;
    this.fixtureCommand = context.command;
  }

  async openSession(): Promise<McpSession> {
    const session = await PipeSession.open(this.fixtureCommand);
    this.sessions.add(session);
    void session.exited.then(() => this.sessions.delete(session));
    return session;
  }

  tree(): ProcessEntry[] {
    return treeOf([...this.sessions].map((session) => session.pid));
  }

  async terminate(): Promise<ExitTiming> {
    const sessions = [...this.sessions];
    const start = performance.now();
    for (const session of sessions) session.child.kill('SIGTERM');
    await Promise.all(sessions.map((session) => session.exited));
    const elapsed = performance.now() - start;
    const left = await this.stop();
    return { exitMs: elapsed, treeGoneMs: elapsed, leftBehind: left.length };
  }

  async stop(): Promise<string[]> {
    await Promise.all([...this.sessions].map((session) => session.close()));
    return killTagged(this.tag).map(({ pid, cmdline }) => `${pid} ${cmdline}`);
  }
}

export const floor: TargetDefinition = {
  name: 'floor',
  describe: () => 'the fixture over its own pipes, no bridge: each session spawns it and speaks newline JSON-RPC to it',
  start: (context) => Promise.resolve(new FloorTarget(context)),
};
