import path from 'node:path';
import { FIXTURES } from './paths.js';

/** The command line that runs fixture `name` (test/fixtures/<name>.ts) with `tag` and `args`. */
export function fixture(name: string, tag: string, ...args: string[]): string[] {
  return [process.execPath, path.join(FIXTURES, `${name}.js`), ...args, `--tag=${tag}`];
}
