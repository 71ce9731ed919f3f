/**
 * The README's option table, produced from the schema so the docs cannot drift from the CLI
 * (test/config/options-table.test.ts fails, printing the fresh table, when they differ).
 */
import { OPTIONS } from './schema.js';

export function optionsTable(): string {
  const rows = OPTIONS.map(
    (option) => `| \`${option.flags}\` | \`${option.env}\` | ${option.defaultText} | ${option.description}; accepts ${option.accepts} |`,
  );
  return ['| option | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
