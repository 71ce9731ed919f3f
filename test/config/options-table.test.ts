import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { optionsTable } from '../../src/config/options-table.js';
import { ROOT } from '../helpers/paths.js';

it('the README lists every option exactly as the schema defines it', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = optionsTable();
  assert.ok(readme.includes(table), `README.md must contain the current option table:\n\n${table}\n`);
});
