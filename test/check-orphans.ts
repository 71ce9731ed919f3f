/**
 * Runs after the whole suite: fails if any process started from this checkout's fixtures, demo
 * server or daemon is still running. A test that leaves a child behind fails the run.
 */
import { listProcesses } from './helpers/process-table.js';
import { ROOT } from './helpers/paths.js';

const ours = listProcesses().filter(
  (info) => info.pid !== process.pid && info.cmdline.includes(ROOT) && /dist\/(test\/fixtures|src\/demo|src\/cli)\//.test(info.cmdline),
);
if (ours.length > 0) {
  process.stderr.write(`orphan check: ${ours.length} process(es) left behind by the tests:\n`);
  for (const info of ours) process.stderr.write(`  ${info.pid} (ppid ${info.ppid}, pgid ${info.pgid}) ${info.cmdline}\n`);
  process.exit(1);
}
process.stdout.write('orphan check: no process left behind\n');
