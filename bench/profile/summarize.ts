/**
 * Top self time of one or more .cpuprofile files:
 *   node dist/bench/profile/summarize.js [--top N] <file.cpuprofile>...
 */
import { parseArgs } from 'node:util';
import { formatProfileSummary, summarizeProfile } from './top-self-time.js';

const USAGE = 'usage: node dist/bench/profile/summarize.js [--top N] <file.cpuprofile>...';

function parse(): ReturnType<typeof parseArgs<{ options: { top: { type: 'string'; default: string } }; allowPositionals: true }>> {
  try {
    return parseArgs({ options: { top: { type: 'string', default: '15' } }, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
}

const { values, positionals } = parse();
const top = Number(values.top);
if (!Number.isInteger(top) || top < 1) {
  process.stderr.write(`error: --top ${JSON.stringify(values.top)}: expected a whole number from 1\n${USAGE}\n`);
  process.exit(2);
}
if (positionals.length === 0) {
  process.stderr.write(`error: no .cpuprofile file given\n${USAGE}\n`);
  process.exit(2);
}
for (const file of positionals) process.stdout.write(`${formatProfileSummary(file, summarizeProfile(file, top))}\n\n`);
