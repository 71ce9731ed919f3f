/** Where the bench finds what it runs (it runs from dist/bench/...). */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SIDECAR_CLI = path.join(ROOT, 'dist/src/cli/main.js');
export const BENCH_FIXTURE = fileURLToPath(new URL('../fixtures/bench-server.js', import.meta.url));
/** The SDK McpServer fixture, shared with the tests' fixtures. */
export const SDK_BENCH_FIXTURE = fileURLToPath(new URL('../../test/fixtures/sdk-bench-server.js', import.meta.url));
export const LISTEN_LOOPBACK_PRELOAD = fileURLToPath(new URL('../preload/listen-loopback.js', import.meta.url));

const require = createRequire(path.join(ROOT, 'package.json'));

interface Manifest {
  version: string;
  bin?: string | Record<string, string>;
}

/** A devDependency's own package.json (read by path: not every package exports it). */
function manifestOf(name: string): { dir: string; manifest: Manifest } {
  const dir = path.join(ROOT, 'node_modules', name);
  return { dir, manifest: require(path.join(dir, 'package.json')) as Manifest };
}

/** The script a package's `bin` entry runs (what `npx <name>` would start) and its version. */
export function packageBin(name: string): { script: string; version: string } {
  const { dir, manifest } = manifestOf(name);
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[name];
  if (!bin) throw new Error(`package ${name} has no bin named ${name}`);
  return { script: path.join(dir, bin), version: manifest.version };
}

export function packageVersion(name: string): string {
  return manifestOf(name).manifest.version;
}
