/**
 * The command line, built from the config schema: every option gets its flag, its environment
 * variable and its default in --help, and a value that does not parse is refused with one line that
 * names the option, the value and what it accepts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { OPTIONS, settleConfig, type SidecarConfig } from '../config/schema.js';

export interface ParsedCommandLine {
  config: SidecarConfig;
  /** The stdio server command and its arguments; empty means the built-in demo server. */
  command: string[];
}

/**
 * Commander's errors as one line: a suggestion ("Did you mean --port?") joins the error, and an
 * unknown option points at --help for what is accepted.
 */
function oneLine(text: string): string {
  const joined = text.trim().replace(/\s*\n\s*/g, ' ');
  return /unknown option/.test(joined) ? `${joined} (see --help for the accepted options)` : joined;
}

export function buildProgram(version: string): Command {
  const program = new Command('mcp-sidecar')
    .description('Serve a stdio MCP server over Streamable HTTP, one supervised child process per session.')
    .version(version)
    .usage('[options] [-- <command> [args...]]')
    .argument('[command...]', 'the stdio MCP server to start for each session (default: the built-in demo server)')
    .enablePositionalOptions()
    .passThroughOptions()
    .configureOutput({ outputError: (text, write) => write(`${oneLine(text)}\n`) });
  for (const spec of OPTIONS) {
    const option = new Option(spec.flags, spec.description)
      .env(spec.env)
      .default(spec.default, spec.defaultText)
      .argParser((raw: string, previous: unknown) => {
        const value = spec.parse(raw, previous);
        if (value === undefined) throw new InvalidArgumentError(`Expected ${spec.accepts}.`);
        return value;
      });
    program.addOption(option);
  }
  return program;
}

/** Parses argv (as process.argv); commander reports errors itself through the program's hooks. */
export function parseCommandLine(program: Command, argv: readonly string[]): ParsedCommandLine {
  program.parse(argv);
  const values = program.opts();
  const config: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const attribute = program.options.find((option) => option.flags === spec.flags)?.attributeName() ?? spec.key;
    config[spec.key] = values[attribute];
  }
  const settled = config as unknown as SidecarConfig;
  const broken = settleConfig(settled);
  if (broken) program.error(`error: ${broken}`, { exitCode: 2, code: 'mcp-sidecar.invalidConfig' });
  return { config: settled, command: program.args };
}
