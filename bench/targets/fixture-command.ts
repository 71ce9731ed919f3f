import { BENCH_FIXTURE } from '../lib/paths.js';

/** The fixture's command line, tagged; every target serves exactly this. */
export function fixtureCommand(tag: string): string[] {
  return [process.execPath, BENCH_FIXTURE, `--tag=${tag}`];
}

/** The same command as one string for a POSIX shell (supergateway's --stdio runs it with sh -c). */
export function shellCommand(command: readonly string[]): string {
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ');
}
