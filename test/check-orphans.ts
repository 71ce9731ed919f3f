/**
 * Runs after the whole suite: fails if any process started from this checkout's fixtures, demo
 * server or daemon is still running, or an nginx that a test started (its master names the test's
 * temporary prefix; its workers are the master's children). A test that leaves one behind fails
 * the run.
 */
import { NGINX_PREFIX_NAME } from './helpers/nginx.js';
import { listProcesses } from './helpers/process-table.js';
import { ROOT } from './helpers/paths.js';

const processes = listProcesses().filter((info) => info.pid !== process.pid);
const nginxMasters = new Set(processes.filter((info) => info.cmdline.startsWith('nginx: master process') && info.cmdline.includes(NGINX_PREFIX_NAME)).map((info) => info.pid));
const ours = processes.filter(
  (info) => (info.cmdline.includes(ROOT) && /dist\/(test\/fixtures|src\/demo|src\/cli)\//.test(info.cmdline))
    || nginxMasters.has(info.pid) || nginxMasters.has(info.ppid),
);
if (ours.length > 0) {
  process.stderr.write(`orphan check: ${ours.length} process(es) left behind by the tests:\n`);
  for (const info of ours) process.stderr.write(`  ${info.pid} (ppid ${info.ppid}, pgid ${info.pgid}) ${info.cmdline}\n`);
  process.exit(1);
}
process.stdout.write('orphan check: no process left behind\n');
