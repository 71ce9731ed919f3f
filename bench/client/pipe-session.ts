/**
 * The floor: an MCP session with the fixture over its own pipes, no bridge in between. It does
 * what a bridge must do at the least (spawn, initialize, newline JSON-RPC), so it is the best
 * any bridge could reach.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { LineSplitter } from './line-splitter.js';
import { initializeParams, resultOf, toolText, type McpSession } from './session.js';

const STOP_GRACE_MS = 5000;

interface Pending {
  resolve(answer: unknown): void;
  reject(error: Error): void;
}

export class PipeSession implements McpSession {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone = false;

  private constructor(command: readonly string[]) {
    const [file, ...args] = command as [string, ...string[]];
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit').then(() => this.onExit());
    const splitter = new LineSplitter((line) => this.onLine(line));
    this.child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    this.child.stderr.resume();
    // EPIPE after the child died is reported through the pending requests, not here.
    this.child.stdin.on('error', () => undefined);
  }

  /** Spawns the fixture and completes initialize + notifications/initialized. */
  static async open(command: readonly string[]): Promise<PipeSession> {
    const session = new PipeSession(command);
    try {
      resultOf(await session.request('initialize', initializeParams()), 'initialize');
    } catch (error) {
      await session.close();
      throw error;
    }
    session.write({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (this.gone) return Promise.reject(new Error(`${method}: the fixture has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<string> {
    return toolText(await this.request('tools/call', { name, arguments: args }), name);
  }

  async close(): Promise<void> {
    if (!this.gone) this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private write(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  private onLine(line: string): void {
    let message: { id?: unknown };
    try {
      message = JSON.parse(line) as { id?: unknown };
    } catch {
      return; // The fixture writes nothing but JSON; a torn line would fail its request by timeout.
    }
    if (typeof message.id !== 'number') return;
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    waiter.resolve(message);
  }

  private onExit(): void {
    this.gone = true;
    for (const waiter of this.pending.values()) waiter.reject(new Error('the fixture exited before answering'));
    this.pending.clear();
  }
}
