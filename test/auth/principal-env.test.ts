/**
 * Per-principal child environment: each principal's variables (literal or from a secret file)
 * reach only that principal, variables that would change which code runs are refused, and no
 * error ever repeats a value.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ALLOWED_IN_FAMILIES, isProtectedVariable, PrincipalEnv, PROTECTED_FAMILIES, protectedFamilyOf } from '../../src/auth/principal-env.js';
import { ANONYMOUS, createJwtPrincipal, createTokenPrincipal } from '../../src/auth/principal.js';
import { SidecarError } from '../../src/errors/local.js';
import { ROOT } from '../helpers/paths.js';

const SECRET = 's3cret-value-never-logged';

const dir = mkdtempSync(join(tmpdir(), 'principal-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'secrets'));
writeFileSync(join(dir, 'secrets', 'alice-github'), `${SECRET}-alice\n`);
writeFileSync(join(dir, 'secrets', 'crlf'), 'crlf-value\r\n');
writeFileSync(join(dir, 'secrets', 'two-newlines'), 'two\n\n');
writeFileSync(join(dir, 'secrets', 'no-newline'), 'bare');
writeFileSync(join(dir, 'secrets', 'multi-line'), 'line1\nline2\n');
writeFileSync(join(dir, 'secrets', 'empty'), '');
writeFileSync(join(dir, 'secrets', 'just-newline'), '\n');
writeFileSync(join(dir, 'secrets', 'huge'), 'x'.repeat(128 * 1024 + 1));

function parse(json: unknown): PrincipalEnv {
  return PrincipalEnv.parse(JSON.stringify(json), { source: 'env.json', baseDir: dir });
}

describe('PrincipalEnv: values', () => {
  const env = parse({
    tokens: {
      alice: { GITHUB_TOKEN: { file: 'secrets/alice-github' }, GH_HOST: 'github.example.com' },
      bob: { A: { file: join(dir, 'secrets', 'crlf') }, B: { file: 'secrets/two-newlines' }, C: { file: 'secrets/no-newline' }, D: { file: 'secrets/multi-line' }, E: '' },
    },
    subjects: { 'auth0|42': { GITHUB_TOKEN: 'jwt-user-key' } },
  });

  it('literal values, and secret files relative to the JSON file with one trailing newline removed', () => {
    assert.deepEqual(env.envFor(createTokenPrincipal('alice')), { GITHUB_TOKEN: `${SECRET}-alice`, GH_HOST: 'github.example.com' });
  });

  it('absolute paths; CRLF; only one newline removed; inner newlines kept; empty literal allowed', () => {
    assert.deepEqual(env.envFor(createTokenPrincipal('bob')), { A: 'crlf-value', B: 'two\n', C: 'bare', D: 'line1\nline2', E: '' });
  });

  it('a JWT principal gets the variables of its subject', () => {
    assert.deepEqual(env.envFor(createJwtPrincipal('auth0|42', ['x'])), { GITHUB_TOKEN: 'jwt-user-key' });
  });

  it('a principal the file does not name, and the anonymous one, get nothing', () => {
    assert.deepEqual(env.envFor(createTokenPrincipal('carol')), {});
    assert.deepEqual(env.envFor(ANONYMOUS), {});
  });

  it('a JWT subject named like a token does not get the token\'s variables, nor the reverse', () => {
    assert.deepEqual(env.envFor(createJwtPrincipal('alice', [])), {});
    assert.deepEqual(env.envFor(createTokenPrincipal('auth0|42')), {});
  });

  it('the maps handed out are frozen', () => {
    assert.ok(Object.isFrozen(env.envFor(createTokenPrincipal('alice'))));
    assert.ok(Object.isFrozen(env.envFor(ANONYMOUS)));
  });

  it('size counts principals; empty() has none', () => {
    assert.equal(env.size, 3);
    assert.equal(PrincipalEnv.empty().size, 0);
    assert.deepEqual(PrincipalEnv.empty().envFor(createTokenPrincipal('alice')), {});
  });
});

describe('isProtectedVariable', () => {
  // [name, the family that refuses it, or undefined when the file may set it]
  const CASES: [string, string | undefined][] = [
    ['PATH', 'shell and home'], ['path', 'shell and home'], ['HOME', 'shell and home'], ['BASH_ENV', 'shell and home'], ['ENV', 'shell and home'],
    ['PS4', 'shell and home'], ['PROMPT_COMMAND', 'shell and home'], ['IFS', 'shell and home'], ['XDG_CONFIG_HOME', 'shell and home'],
    ['EDITOR', 'shell and home'], ['BASH_FUNC_ls', 'shell and home'],
    ['LD_PRELOAD', 'dynamic loader and glibc'], ['LD_LIBRARY_PATH', 'dynamic loader and glibc'], ['DYLD_INSERT_LIBRARIES', 'dynamic loader and glibc'],
    ['GCONV_PATH', 'dynamic loader and glibc'], ['GLIBC_TUNABLES', 'dynamic loader and glibc'],
    ['CC', 'C toolchain'], ['LDFLAGS', 'C toolchain'], ['CGO_LDFLAGS', 'C toolchain'],
    ['NODE_OPTIONS', 'node, npm, yarn, pnpm, bun, deno'], ['NODE_TLS_REJECT_UNAUTHORIZED', 'node, npm, yarn, pnpm, bun, deno'],
    ['NODE_EXTRA_CA_CERTS', 'node, npm, yarn, pnpm, bun, deno'], ['NPM_CONFIG_REGISTRY', 'node, npm, yarn, pnpm, bun, deno'],
    ['npm_config_registry', 'node, npm, yarn, pnpm, bun, deno'], ['YARN_NPM_REGISTRY_SERVER', 'node, npm, yarn, pnpm, bun, deno'],
    ['COREPACK_NPM_REGISTRY', 'node, npm, yarn, pnpm, bun, deno'], ['BUN_CONFIG_REGISTRY', 'node, npm, yarn, pnpm, bun, deno'],
    ['PYTHONPATH', 'python, pip, uv, conda'], ['PYTHONWARNINGS', 'python, pip, uv, conda'], ['PYTHONSTARTUP', 'python, pip, uv, conda'],
    ['PIP_INDEX_URL', 'python, pip, uv, conda'], ['pip_extra_index_url', 'python, pip, uv, conda'], ['UV_INDEX_URL', 'python, pip, uv, conda'],
    ['UV_PYTHON', 'python, pip, uv, conda'], ['VIRTUAL_ENV', 'python, pip, uv, conda'],
    ['JAVA_TOOL_OPTIONS', 'java and the JVM'], ['_JAVA_OPTIONS', 'java and the JVM'], ['JDK_JAVA_OPTIONS', 'java and the JVM'],
    ['CLASSPATH', 'java and the JVM'], ['MAVEN_OPTS', 'java and the JVM'],
    ['RUBYOPT', 'ruby'], ['RUBYLIB', 'ruby'], ['GEM_HOME', 'ruby'], ['BUNDLE_GEMFILE', 'ruby'],
    ['PERL5OPT', 'perl'], ['PERL5LIB', 'perl'], ['PERLLIB', 'perl'],
    ['GOFLAGS', 'go'], ['GOPROXY', 'go'], ['GOTOOLCHAIN', 'go'],
    ['CARGO_HOME', 'rust and cargo'], ['CARGO_BUILD_RUSTC_WRAPPER', 'rust and cargo'], ['RUSTC_WRAPPER', 'rust and cargo'], ['RUSTFLAGS', 'rust and cargo'],
    ['DOTNET_STARTUP_HOOKS', '.NET'], ['CORECLR_PROFILER_PATH', '.NET'],
    ['GIT_SSH_COMMAND', 'git'], ['GIT_CONFIG_COUNT', 'git'], ['GIT_ASKPASS', 'git'], ['git_exec_path', 'git'],
    ['DOCKER_HOST', 'docker'],
    ['OPENSSL_CONF', 'TLS trust and OpenSSL'], ['OPENSSL_MODULES', 'TLS trust and OpenSSL'], ['SSL_CERT_FILE', 'TLS trust and OpenSSL'],
    ['SSL_CERT_DIR', 'TLS trust and OpenSSL'], ['CURL_CA_BUNDLE', 'TLS trust and OpenSSL'], ['REQUESTS_CA_BUNDLE', 'TLS trust and OpenSSL'],
    ['SSLKEYLOGFILE', 'TLS trust and OpenSSL'],
    // Allowed: data a server reads, and names that only look like a refused family.
    ['GITHUB_TOKEN', undefined], ['GITLAB_TOKEN', undefined], ['OPENAI_API_KEY', undefined], ['GOOGLE_API_KEY', undefined],
    ['GOOGLE_APPLICATION_CREDENTIALS', undefined], ['GEMINI_API_KEY', undefined], ['JAVASCRIPT_FLAVOUR', undefined], ['PATHS', undefined],
    ['MY_HOME', undefined], ['LANG', undefined], ['TZ', undefined], ['NODE_ENV', undefined], ['RUST_LOG', undefined], ['AWS_ACCESS_KEY_ID', undefined],
    ['GH_HOST', undefined], ['HTTPS_PROXY', undefined], ['CCACHE_DIR', undefined], ['ENVIRONMENT', undefined], ['SSLMODE', undefined],
    // A git identity is data, although GIT_* is refused.
    ['GIT_AUTHOR_NAME', undefined], ['git_committer_email', undefined],
  ];
  for (const [name, family] of CASES) {
    it(`${name} → ${family === undefined ? 'allowed' : `refused (${family})`}`, () => {
      assert.equal(protectedFamilyOf(name), family);
      assert.equal(isProtectedVariable(name), family !== undefined);
    });
  }

  it('the README lists every refused name and prefix, family by family', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const { family, names, prefixes } of PROTECTED_FAMILIES) {
      const line = `- ${family}: ${[...names, ...prefixes.map((prefix) => `${prefix}*`)].map((name) => `\`${name}\``).join(', ')}`;
      assert.ok(readme.includes(line), `README.md must contain:\n${line}`);
    }
    assert.ok(readme.includes(`- allowed although their family is refused: ${ALLOWED_IN_FAMILIES.map((name) => `\`${name}\``).join(', ')}`));
  });

  it('the error names the family', () => {
    assert.throws(() => parse({ tokens: { alice: { OPENSSL_CONF: SECRET } } }), /OPENSSL_CONF may not be set per principal \(TLS trust and OpenSSL:/);
  });
});

describe('PrincipalEnv: errors name the place, never the value', () => {
  const CASES: [string, unknown, RegExp][] = [
    ['a protected variable', { tokens: { alice: { PATH: SECRET } } }, /env\.json: tokens\.alice\.PATH: PATH may not be set per principal/],
    ['HOME', { tokens: { alice: { HOME: SECRET } } }, /tokens\.alice\.HOME: HOME may not be set per principal/],
    ['a loader hook', { subjects: { s: { LD_PRELOAD: SECRET } } }, /subjects\.s\.LD_PRELOAD: LD_PRELOAD may not be set/],
    ['npm configuration in lower case', { tokens: { alice: { npm_config_registry: SECRET } } }, /npm_config_registry may not be set/],
    ['a bad variable name', { tokens: { alice: { '1BAD': SECRET } } }, /tokens\.alice\.1BAD: not a variable name/],
    ['a name with =', { tokens: { alice: { 'A=B': SECRET } } }, /tokens\.alice\.A=B: not a variable name/],
    ['a number value', { tokens: { alice: { A: 42 } } }, /tokens\.alice\.A: expected a string or \{ "file": "\/path" \}/],
    ['a file object with another key', { tokens: { alice: { A: { file: 'secrets/no-newline', value: SECRET } } } }, /tokens\.alice\.A: expected a string or/],
    ['an empty file path', { tokens: { alice: { A: { file: '' } } } }, /tokens\.alice\.A: expected a string or/],
    ['a missing secret file', { tokens: { alice: { A: { file: 'secrets/absent' } } } }, /tokens\.alice\.A: the file .*secrets\/absent cannot be read \(ENOENT\)/],
    ['an empty secret file', { tokens: { alice: { A: { file: 'secrets/empty' } } } }, /tokens\.alice\.A: the file .*secrets\/empty is empty/],
    ['a secret file holding only a newline', { tokens: { alice: { A: { file: 'secrets/just-newline' } } } }, /is empty/],
    ['a secret too large for an environment', { tokens: { alice: { A: { file: 'secrets/huge' } } } }, /tokens\.alice\.A: the value is larger than 128 KiB/],
    ['a NUL in a value', { tokens: { alice: { A: `${SECRET}\u0000x` } } }, /tokens\.alice\.A: the value contains a NUL character/],
    ['variables that are not an object', { tokens: { alice: [SECRET] } }, /tokens\.alice: expected an object mapping variable names to values/],
    ['a section that is not an object', { tokens: SECRET }, /env\.json: tokens: expected an object mapping names to variables/],
    ['an unknown top-level key', { token: {} }, /unknown key "token"; expected "tokens" or "subjects"/],
    ['not an object', [SECRET], /env\.json: expected an object with "tokens" and\/or "subjects"/],
  ];
  for (const [title, json, message] of CASES) {
    it(title, () => {
      assert.throws(() => parse(json), (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, message);
        assert.ok(!error.message.includes(SECRET), `a value is echoed: ${error.message}`);
        return true;
      });
    });
  }

  it('JSON that does not parse is reported without quoting the text', () => {
    assert.throws(
      () => PrincipalEnv.parse(`{"tokens": {"alice": {"KEY": "${SECRET}" oops}}}`, { source: 'env.json', baseDir: dir }),
      (error: unknown) => error instanceof SidecarError && error.message === 'principal environment env.json is not valid JSON',
    );
  });
});

describe('PrincipalEnv.load', () => {
  it('resolves secret paths against the file\'s directory, not the working directory', () => {
    const path = join(dir, 'env.json');
    writeFileSync(path, JSON.stringify({ tokens: { alice: { KEY: { file: 'secrets/no-newline' } } } }));
    assert.deepEqual(PrincipalEnv.load(path).envFor(createTokenPrincipal('alice')), { KEY: 'bare' });
  });

  it('a missing file is an error naming it', () => {
    const path = join(dir, 'absent.json');
    assert.throws(() => PrincipalEnv.load(path), { message: `principal environment ${path} cannot be read (ENOENT)` });
  });
});
