/**
 * The command line, built from the config schema: every option gets its flag, its environment
 * variable and its default in --help, and a value that does not parse is refused with one line that
 * names the option, the value and what it accepts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { OPTIONS, settleConfig, type SidecarConfig } from '../config/schema.js';

export type CliAction = 'run' | 'check-config' | 'print-config-schema';

export interface ParsedCommandLine {
  config: SidecarConfig;
  /** The stdio server command and its arguments; empty means the built-in demo server. */
  command: string[];
  /** Keys a flag or an MCP_SIDECAR_* variable gave: they override a config file's `sidecar` section. */
  explicit: Set<keyof SidecarConfig>;
  /** --config FILE (or --check-config FILE): the servers come from it. */
  configFile: string | undefined;
  action: CliAction;
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
    .usage('[options] [-- <command> [args...]]  |  --config <file> [options]')
    .argument('[command...]', 'the stdio MCP server to start for each session (default: the built-in demo server)')
    .enablePositionalOptions()
    .passThroughOptions()
    .configureOutput({ outputError: (text, write) => write(`${oneLine(text)}\n`) });
  program.addOption(new Option('--config <file>', 'serve the named stdio servers of this JSON file (mcpServers as Claude Desktop and Cursor write it, or VS Code\'s servers), each at /<name>/mcp, /<name>/sse and /<name>/ws; no command after -- then; SIGHUP re-reads it').env('MCP_SIDECAR_CONFIG'));
  program.addOption(new Option('--check-config <file>', 'validate a config file and print the effective configuration (secrets redacted), then exit: 0 when valid, 2 when not'));
  program.addOption(new Option('--print-config-schema', 'print the JSON Schema of config files and exit'));
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
  const explicit = new Set<keyof SidecarConfig>();
  for (const spec of OPTIONS) {
    const attribute = program.options.find((option) => option.flags === spec.flags)?.attributeName() ?? spec.key;
    config[spec.key] = values[attribute];
    const source = program.getOptionValueSource(attribute);
    if (source === 'cli' || source === 'env') explicit.add(spec.key);
  }
  const settled = config as unknown as SidecarConfig;
  const checkFile = values.checkConfig as string | undefined;
  const configFile = checkFile ?? (values.config as string | undefined);
  const action = values.printConfigSchema === true ? 'print-config-schema' : checkFile !== undefined ? 'check-config' : 'run';
  if (action === 'print-config-schema') return { config: settled, command: program.args, explicit, configFile, action };
  if (configFile !== undefined) {
    // The file's servers and its sidecar section complete what the flags say: the rules between
    // options are checked on the result (config-file.ts), not on the flags alone.
    if (program.args.length > 0) usage(program, `a command after -- and a config file (${configFile}) do not go together: the file names the servers. Expected one of them.`);
    if (explicit.has('name')) usage(program, `option '--name' names the command line's one server; a config file's servers are named by their keys. Expected no --name with --config.`);
    return { config: settled, command: [], explicit, configFile, action };
  }
  const broken = settleConfig(settled);
  if (broken) usage(program, broken);
  return { config: settled, command: program.args, explicit, configFile, action };
}

function usage(program: Command, sentence: string): never {
  return program.error(`error: ${sentence}`, { exitCode: 2, code: 'mcp-sidecar.invalidConfig' });
}
