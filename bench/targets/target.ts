/**
 * A target is what the phases measure: the floor (the fixture over its own pipes), mcp-sidecar
 * (spawning per session, or with a warm pool), and the public bridges. Each phase starts a fresh
 * instance, drives it, and stops it, so no phase inherits another's heap or children.
 */
import type { McpSession } from '../client/session.js';
import type { ProcessEntry } from '../lib/process-table.js';

export const TARGET_NAMES = ['floor', 'mcp-sidecar', 'mcp-sidecar-warm', 'mcp-sidecar-baseline', 'supergateway', 'mcp-proxy'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The public bridges mcp-sidecar is compared with, pair by pair. */
export const PEERS: readonly TargetName[] = ['supergateway', 'mcp-proxy'];

export interface StartContext {
  /** On the command line of every process this instance starts, so none can be missed. */
  tag: string;
  /** The fixture's command line (tagged) that this instance serves. */
  command: readonly string[];
  /** The bridge's stdout and stderr go here (kept for the error message when it fails). */
  logFile: string;
  /** Run the bridge under `node --cpu-prof` (mcp-sidecar only), writing this file. */
  cpuProfile: { dir: string; name: string } | undefined;
}

export interface ExitTiming {
  /** From SIGTERM to the bridge's exit. */
  exitMs: number;
  /** From SIGTERM until every process of its tree (as it was at SIGTERM) is gone. */
  treeGoneMs: number;
  /** Processes still running 15 s after SIGTERM (then killed by the bench). */
  leftBehind: number;
}

export interface RunningTarget {
  readonly name: TargetName;
  /** The bridge process; undefined for the floor, which has none. */
  readonly pid: number | undefined;
  /** The Streamable HTTP endpoint; undefined for the floor. */
  readonly url: string | undefined;
  /** The fixture's command line (the floor's SDK client spawns it itself). */
  readonly fixtureCommand: readonly string[];
  /** Processes in the tree with no session open: the bridge, a warm pool, mcp-proxy's shared child. */
  readonly idleTreeSize: number;
  openSession(): Promise<McpSession>;
  /** The processes whose memory and CPU are the target's: the bridge and its descendants, or the floor's children. */
  tree(): ProcessEntry[];
  /** SIGTERM with sessions open, timed; the target is down afterwards. */
  terminate(): Promise<ExitTiming>;
  /** Stops whatever still runs (idempotent); resolves with the command lines it had to kill. */
  stop(): Promise<string[]>;
}

export interface TargetDefinition {
  name: TargetName;
  /** How it runs, for the report's method section. */
  describe(): string;
  start(context: StartContext): Promise<RunningTarget>;
}
