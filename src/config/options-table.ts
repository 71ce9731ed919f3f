/**
 * The README's option table, produced from the schema so the docs cannot drift from the CLI
 * (test/config/options-table.test.ts fails, printing the fresh table, when they differ).
 */
import { OPTIONS, type OptionSpec } from './schema.js';

/** The option's key in a config file, and where it goes there. */
function fileCell(option: OptionSpec): string {
  if (option.key === 'name') return "the server's key";
  return `\`${option.key}\` ${option.scope === 'daemon' ? '(sidecar)' : '(per server)'}`;
}

export function optionsTable(): string {
  const rows = OPTIONS.map(
    (option) => `| \`${option.flags}\` | \`${option.env}\` | ${fileCell(option)} | ${option.defaultText} | ${option.description}; accepts ${option.accepts} |`,
  );
  return ['| option | environment | config file key | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
