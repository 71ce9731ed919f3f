// PM2 process file for mcp-sidecar: `pm2 start ecosystem.config.js` (README.md, "Deployment" / "PM2").
//
// This package is "type": "module", so this file is ESM. PM2 7 loads it with require(), which on
// Node >= 20.19 (and >= 22.12) returns the module namespace: PM2 reads its `apps` property, so
// `apps` is a named export (a default export alone would not be found). Older Node cannot
// require() ESM at all; there, copy this file to ecosystem.config.cjs with module.exports.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const logDir = process.env.MCP_SIDECAR_LOG_DIR ?? path.join(process.env.PM2_HOME ?? path.join(os.homedir(), '.pm2'), 'logs');
// The stdio MCP server, split at whitespace, as for the systemd unit. Unset: the demo server.
const command = (process.env.MCP_SIDECAR_COMMAND ?? '').split(/\s+/).filter(Boolean);

export const apps = [
  {
    name: 'mcp-sidecar',
    script: 'dist/src/cli/main.js',
    cwd: root,
    // Everything after "--" is the server's command line.
    args: ['--', ...command],
    // One daemon: it supervises its own children, one per session. Cluster mode would split the
    // sessions between workers that do not share them.
    exec_mode: 'fork',
    instances: 1,
    // The daemon calls process.send('ready') once it listens; `pm2 start` and `pm2 reload` wait
    // for it, up to listen_timeout.
    wait_ready: true,
    listen_timeout: 10_000,
    // PM2 7 stops an app with SIGINT, which the daemon handles like SIGTERM: drain (up to 10s),
    // then each child down its ladder (stdin EOF, 2s, SIGTERM, 2s, SIGKILL), then exit 0.
    // kill_timeout is above 10s + 2 x 2s, so PM2's SIGKILL is only the backstop.
    kill_timeout: 20_000,
    // Signal the daemon alone. PM2's default (treekill) signals every descendant at once, which
    // would cut the children's stop ladder short.
    treekill: false,
    // Restart the daemon itself when it grows past this (children are not counted: PM2 measures
    // the daemon's pid). A restart drains and stops children like any stop.
    max_memory_restart: '512M',
    autorestart: true,
    min_uptime: '10s',
    max_restarts: 10,
    exp_backoff_restart_delay: 200,
    // The daemon logs JSON lines on stderr only; stdout stays empty.
    error_file: path.join(logDir, 'mcp-sidecar.log'),
    out_file: path.join(logDir, 'mcp-sidecar.out.log'),
    merge_logs: true,
    env: {
      NODE_ENV: 'production',
      MCP_SIDECAR_HOST: process.env.MCP_SIDECAR_HOST ?? '127.0.0.1',
      MCP_SIDECAR_PORT: process.env.MCP_SIDECAR_PORT ?? '8808',
      // kill_timeout above assumes these two.
      MCP_SIDECAR_DRAIN_TIMEOUT: '10s',
      MCP_SIDECAR_TIMEOUT_STOP: '2s',
    },
  },
];

export default { apps };
