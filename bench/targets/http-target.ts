/** A bridge in front of the fixture, driven over Streamable HTTP with the lean client. */
import { HttpEndpoint } from '../client/http-endpoint.js';
import { HttpSession } from '../client/http-session.js';
import type { McpSession } from '../client/session.js';
import { treeOf, type ProcessEntry } from '../lib/process-table.js';
import type { BridgeProcess } from './bridge-process.js';
import { assertLoopbackOnly } from './listen-check.js';
import { settle } from './settle.js';
import type { ExitTiming, RunningTarget, TargetName } from './target.js';

export class HttpTarget implements RunningTarget {
  readonly name: TargetName;
  readonly url: string;
  readonly fixtureCommand: readonly string[];
  idleTreeSize = 1;
  private readonly bridge: BridgeProcess;
  private readonly endpoint: HttpEndpoint;

  constructor(name: TargetName, bridge: BridgeProcess, url: string, fixtureCommand: readonly string[]) {
    this.name = name;
    this.bridge = bridge;
    this.url = url;
    this.fixtureCommand = fixtureCommand;
    this.endpoint = new HttpEndpoint(url);
  }

  /**
   * After the bridge accepts connections: proves it listens on loopback only, then waits for it to
   * be at rest with at least `minTree` processes (a warm pool's spares, a shared child) and takes
   * that as its idle size.
   */
  async ready(minTree: number): Promise<this> {
    assertLoopbackOnly(this.name, Number(new URL(this.url).port));
    this.idleTreeSize = await this.bridge.waitUntil(
      () => settle(() => this.tree(), { minSize: minTree, what: `${this.name} to be at rest after start` }),
      'rest after start',
    );
    return this;
  }

  get pid(): number {
    return this.bridge.pid;
  }

  openSession(): Promise<McpSession> {
    return HttpSession.open(this.endpoint);
  }

  tree(): ProcessEntry[] {
    return treeOf([this.bridge.pid]);
  }

  async terminate(): Promise<ExitTiming> {
    const timing = await this.bridge.terminate();
    this.endpoint.close();
    return timing;
  }

  stop(): Promise<string[]> {
    this.endpoint.close();
    return this.bridge.stop();
  }
}
