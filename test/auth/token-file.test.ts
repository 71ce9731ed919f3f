/**
 * Static tokens: the file format, errors that name the place but never the secret, digests only in
 * memory, a comparison that looks at every entry, and reloads that keep the old set on a bad file.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { inspect } from 'node:util';
import { TokenSet, TokenStore, type TokenSource } from '../../src/auth/token-file.js';
import { SidecarError } from '../../src/errors/local.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob+token/0123456789ABCDEF==';
const CAROL = 'carol_token~0123456789.xyz';

const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeTokens(text: string): string {
  fileCount += 1;
  const path = join(dir, `tokens-${fileCount}`);
  writeFileSync(path, text);
  return path;
}

const FILE: TokenSource = { kind: 'file', path: '/etc/mcp/tokens' };

function parseFile(text: string): TokenSet {
  return TokenSet.parse({ text, source: FILE });
}

describe('TokenSet.parse: a valid file', () => {
  const set = parseFile([
    '# clients of the search server',
    '',
    `alice:${ALICE}`,
    `  bob : ${BOB}  \r`,
    '   # an indented comment',
    `carol.ci@example:${CAROL}`,
    '',
  ].join('\n'));

  it('accepts every entry, in order', () => {
    assert.equal(set.size, 3);
    assert.deepEqual(set.names, ['alice', 'bob', 'carol.ci@example']);
  });

  const VERIFY_CASES: [string, string, string | undefined][] = [
    ['alice', ALICE, 'alice'],
    ['bob (padding, + and /)', BOB, 'bob'],
    ['carol', CAROL, 'carol.ci@example'],
    ['an unknown token', 'mallory-token-0123456789', undefined],
    ['an empty token', '', undefined],
    ['a prefix of a token', ALICE.slice(0, -1), undefined],
    ['a token with one more character', `${ALICE}x`, undefined],
    ['a token in another case', ALICE.toUpperCase(), undefined],
    ['a name instead of a token', 'alice', undefined],
    ['the whole line', `alice:${ALICE}`, undefined],
  ];
  for (const [title, token, expected] of VERIFY_CASES) {
    it(`verify(${title}) → ${expected ?? 'undefined'}`, () => {
      assert.equal(set.verify(token), expected);
    });
  }

  it('keeps digests only: no token appears in the object', () => {
    const dump = inspect(set, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity });
    for (const token of [ALICE, BOB, CAROL]) assert.ok(!dump.includes(token), 'a token is kept in clear');
    assert.ok(!JSON.stringify(set).includes(ALICE));
  });

  it('an empty file is a valid set that accepts nothing', () => {
    const empty = parseFile('# everyone revoked\n');
    assert.equal(empty.size, 0);
    assert.equal(empty.verify(ALICE), undefined);
  });
});

describe('TokenSet.verify compares against every entry', () => {
  it('calls timingSafeEqual once per entry, whichever entry matches', () => {
    const set = parseFile(`alice:${ALICE}\nbob:${BOB}\ncarol:${CAROL}\n`);
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      for (const [token, name] of [[ALICE, 'alice'], [CAROL, 'carol'], ['no-such-token-0123456789', undefined]] as const) {
        spy.mock.resetCalls();
        assert.equal(set.verify(token), name);
        assert.equal(spy.mock.callCount(), 3, `verify(${name ?? 'unknown'}) stopped early`);
        for (const call of spy.mock.calls) assert.equal((call.arguments[0] as Buffer).length, 32);
      }
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });
});

describe('TokenSet.parse: errors name the file and line, never the token', () => {
  const SECRET = 'sekrit-0123456789abcdef';
  const CASES: [string, string, RegExp][] = [
    ['a line without a colon (maybe a bare token)', `alice:${ALICE}\n${SECRET}\n`, /line 2: expected name:token/],
    ['an empty name', `:${SECRET}`, /line 1: the name must be/],
    ['a name with a space', `al ice:${SECRET}`, /line 1: the name must be/],
    ['a name starting with a dot', `.alice:${SECRET}`, /line 1: the name must be/],
    ['a name of 65 characters', `${'a'.repeat(65)}:${SECRET}`, /line 1: the name must be/],
    ['an empty token', 'alice:', /line 1: the token for "alice" is shorter than 16/],
    ['a short token', 'alice:sekrit', /line 1: the token for "alice" is shorter than 16/],
    ['a token with a space', `alice:${SECRET} more`, /line 1: the token for "alice" has characters a Bearer header cannot carry/],
    ['a token with a colon', `alice:${SECRET}:x`, /line 1: the token for "alice" has characters/],
    ['a token with a quote', `alice:"${SECRET}"`, /line 1: the token for "alice" has characters/],
    ['padding in the middle', `alice:${SECRET}=x`, /line 1: the token for "alice" has characters/],
    ['a duplicate name', `alice:${ALICE}\n\nalice:${SECRET}`, /line 3: the name "alice" is already used at token file \/etc\/mcp\/tokens line 1/],
    ['a duplicate token', `alice:${SECRET}\nbob:${BOB}\ncarol:${SECRET}`, /line 3: the token for "carol" is the same as the token for "alice" at token file \/etc\/mcp\/tokens line 1/],
  ];
  for (const [title, text, message] of CASES) {
    it(title, () => {
      assert.throws(() => parseFile(text), (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /^token file \/etc\/mcp\/tokens line \d+: /);
        assert.match(error.message, message);
        assert.ok(!error.message.includes('sekrit'), `the token is echoed: ${error.message}`);
        return true;
      });
    });
  }
});

describe('TokenSet.parse: the environment variable', () => {
  const ENV: TokenSource = { kind: 'env', variable: 'MCP_SIDECAR_TOKENS' };

  it('takes comma-separated entries, lines, or both', () => {
    const set = TokenSet.parse({ text: `alice:${ALICE}, bob:${BOB}\ncarol:${CAROL},`, source: ENV });
    assert.deepEqual(set.names, ['alice', 'bob', 'carol']);
    assert.equal(set.verify(BOB), 'bob');
  });

  it('errors name the variable and the entry', () => {
    assert.throws(
      () => TokenSet.parse({ text: `alice:${ALICE},sekrit-0123456789abcdef`, source: ENV }),
      (error: unknown) => error instanceof SidecarError
        && error.message === 'environment variable MCP_SIDECAR_TOKENS entry 2: expected name:token (no ":" found)',
    );
  });

  it('a name or token repeated across the file and the variable is an error', () => {
    assert.throws(
      () => TokenSet.parse({ text: `alice:${ALICE}`, source: FILE }, { text: `alice:${BOB}`, source: ENV }),
      /environment variable MCP_SIDECAR_TOKENS entry 1: the name "alice" is already used at token file \/etc\/mcp\/tokens line 1/,
    );
    assert.throws(
      () => TokenSet.parse({ text: `alice:${ALICE}`, source: FILE }, { text: `bob:${ALICE}`, source: ENV }),
      /the token for "bob" is the same as the token for "alice"/,
    );
  });
});

describe('TokenStore', () => {
  it('needs a file or a variable', () => {
    assert.throws(() => TokenStore.load({}), /need a token file or a token environment variable/);
  });

  it('a file that cannot be read is an error naming it', () => {
    const path = join(dir, 'absent');
    assert.throws(() => TokenStore.load({ file: path }), (error: unknown) => error instanceof SidecarError
      && error.message === `token file ${path} cannot be read (ENOENT)`);
  });

  it('joins the file and the variable', () => {
    const store = TokenStore.load({ file: writeTokens(`alice:${ALICE}\n`), env: { variable: 'T', value: `bob:${BOB}` } });
    assert.equal(store.size, 2);
    assert.equal(store.verify(ALICE), 'alice');
    assert.equal(store.verify(BOB), 'bob');
  });

  it('reload() takes a changed file: new tokens accepted, removed ones refused', () => {
    const path = writeTokens(`alice:${ALICE}\nbob:${BOB}\n`);
    const store = TokenStore.load({ file: path });
    writeFileSync(path, `alice:${ALICE}\ncarol:${CAROL}\n`);
    assert.equal(store.reload(), undefined);
    assert.deepEqual(store.names, ['alice', 'carol']);
    assert.equal(store.verify(BOB), undefined);
    assert.equal(store.verify(CAROL), 'carol');
  });

  it('reload() of an invalid file returns the error and keeps the old set', () => {
    const path = writeTokens(`alice:${ALICE}\n`);
    const store = TokenStore.load({ file: path });
    writeFileSync(path, `alice:${ALICE}\nbob:short\n`);
    const error = store.reload();
    assert.ok(error instanceof SidecarError);
    assert.match(error.message, new RegExp(`token file ${path} line 2: the token for "bob" is shorter`));
    assert.equal(store.verify(ALICE), 'alice');
    assert.equal(store.size, 1);
  });

  it('reload() of a deleted file returns the error and keeps the old set', () => {
    const path = writeTokens(`alice:${ALICE}\n`);
    const store = TokenStore.load({ file: path });
    rmSync(path);
    assert.match(store.reload()?.message ?? '', /cannot be read \(ENOENT\)/);
    assert.equal(store.verify(ALICE), 'alice');
  });

  it('reload() of an emptied file revokes every token', () => {
    const path = writeTokens(`alice:${ALICE}\n`);
    const store = TokenStore.load({ file: path });
    writeFileSync(path, '');
    assert.equal(store.reload(), undefined);
    assert.equal(store.size, 0);
    assert.equal(store.verify(ALICE), undefined);
  });
});
