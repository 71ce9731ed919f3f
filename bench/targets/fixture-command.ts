/**
 * The stdio servers every target serves, one at a time: `lean` (bench/fixtures/bench-server.ts,
 * no SDK, so the bridge's own cost shows) and `sdk` (test/fixtures/sdk-bench-server.ts, an SDK
 * McpServer: the per-message cost most real servers have, which changes the ratios).
 */
import { BENCH_FIXTURE, SDK_BENCH_FIXTURE } from '../lib/paths.js';

export const FIXTURE_NAMES = ['lean', 'sdk'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

export const FIXTURE_FILES: Readonly<Record<FixtureName, string>> = { lean: BENCH_FIXTURE, sdk: SDK_BENCH_FIXTURE };

/** The fixture's command line, tagged; every target of a run serves exactly this. */
export function fixtureCommand(fixture: FixtureName, tag: string): string[] {
  return [process.execPath, FIXTURE_FILES[fixture], `--tag=${tag}`];
}

/** The same command as one string for a POSIX shell (supergateway's --stdio runs it with sh -c). */
export function shellCommand(command: readonly string[]): string {
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ');
}
