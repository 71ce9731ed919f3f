/**
 * Per-principal child environment: each principal's variables (literal or from a secret file)
 * reach only that principal, variables that would change which code runs are refused, and no
 * error ever repeats a value.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isProtectedVariable, PrincipalEnv } from '../../src/auth/principal-env.js';
import { ANONYMOUS, createJwtPrincipal, createTokenPrincipal } from '../../src/auth/principal.js';
import { SidecarError } from '../../src/errors/local.js';

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
  const CASES: [string, boolean][] = [
    ['PATH', true], ['path', true], ['HOME', true], ['NODE_OPTIONS', true], ['LD_PRELOAD', true], ['LD_LIBRARY_PATH', true],
    ['DYLD_INSERT_LIBRARIES', true], ['NPM_CONFIG_REGISTRY', true], ['npm_config_registry', true], ['PYTHONPATH', true],
    ['BASH_ENV', true], ['NODE_TLS_REJECT_UNAUTHORIZED', true],
    ['GITHUB_TOKEN', false], ['OPENAI_API_KEY', false], ['PATHS', false], ['MY_HOME', false], ['LANG', false], ['TZ', false],
  ];
  for (const [name, expected] of CASES) {
    it(`${name} → ${expected ? 'protected' : 'allowed'}`, () => {
      assert.equal(isProtectedVariable(name), expected);
    });
  }
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
