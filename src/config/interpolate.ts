/**
 * Variables in a server entry's strings (command, args, env values, cwd, envFile), the subset of
 * the clients' syntax a daemon can honour: `${env:NAME}` (the daemon's environment) and
 * `${userHome}`. Anything else in `${…}` is refused rather than passed on literally: VS Code's
 * `${input:…}` needs an editor to prompt, `${workspaceFolder}` a workspace.
 */
import { issueAt, type ConfigIssue, type JsonPath } from './config-issue.js';

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  home: string;
}

const VARIABLE = /\$\{([^}]*)\}/g;
export const INTERPOLATION_FORMAT = '${env:NAME} (a variable of the daemon\'s environment) or ${userHome}';

/** `text` with its variables replaced, or the issue naming the first one that cannot be. */
export function interpolate(text: string, path: JsonPath, context: InterpolationContext): { value: string } | { issue: ConfigIssue } {
  let issue: ConfigIssue | undefined;
  const value = text.replace(VARIABLE, (whole, inner: string) => {
    if (inner === 'userHome') return context.home;
    const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
    if (env) {
      const found = context.env[env[1] as string];
      if (found !== undefined) return found;
      issue ??= issueAt(path, text, `${whole}: the daemon has no variable ${env[1] as string}`, `a variable set in the daemon's environment, or the value itself`);
      return whole;
    }
    const why = inner.startsWith('input:') ? `${whole} is a VS Code input, asked of a user in the editor` : `${whole} is not a variable the daemon knows`;
    issue ??= issueAt(path, text, why, `the value itself, ${INTERPOLATION_FORMAT}`);
    return whole;
  });
  return issue ? { issue } : { value };
}
