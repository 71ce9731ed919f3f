/**
 * Per-tool access: who may see and call which tool, from token names, JWT subjects and scopes;
 * deny by default once a policy exists, everything without one; tools/list filtered to match.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ANONYMOUS, createJwtPrincipal, createTokenPrincipal, type Principal } from '../../src/auth/principal.js';
import { ToolPolicy } from '../../src/auth/tool-policy.js';
import { SidecarError } from '../../src/errors/local.js';

const POLICY = ToolPolicy.parse(JSON.stringify({
  tokens: { alice: ['search', 'github_*'], root: ['*'], nobody: [] },
  subjects: { 'auth0|42': ['deploy'] },
  scopes: { 'tools:read': ['search', 'fetch'], 'tools:admin': ['admin_*'] },
}), 'test policy');

const alice = createTokenPrincipal('alice');
const root = createTokenPrincipal('root');
const nobody = createTokenPrincipal('nobody');
const stranger = createTokenPrincipal('mallory');
const jwt42 = createJwtPrincipal('auth0|42', []);
const reader = createJwtPrincipal('auth0|7', ['tools:read']);
const adminReader = createJwtPrincipal('auth0|8', ['openid', 'tools:read', 'tools:admin']);
const jwtAlice = createJwtPrincipal('alice', []);
const tokenNamedLikeSubject = createTokenPrincipal('auth0|42');

describe('ToolPolicy.allows', () => {
  const CASES: [string, Principal, string, boolean][] = [
    ['a token allowed by exact name', alice, 'search', true],
    ['a token allowed by a prefix pattern', alice, 'github_create_issue', true],
    ['the prefix itself matches a prefix pattern', alice, 'github_', true],
    ['a name that only shares letters with the prefix', alice, 'githubx', false],
    ['a tool not listed for the token', alice, 'deploy', false],
    ['an exact name is not a prefix', alice, 'search_all', false],
    ['tool names are case-sensitive', alice, 'Search', false],
    ['* allows every tool', root, 'anything_at_all', true],
    ['an empty list allows nothing', nobody, 'search', false],
    ['a token the policy does not name gets nothing', stranger, 'search', false],
    ['a JWT subject listed under subjects', jwt42, 'deploy', true],
    ['a JWT allowed by a scope', reader, 'fetch', true],
    ['a JWT scope does not grant other tools', reader, 'deploy', false],
    ['any one of several scopes is enough', adminReader, 'admin_reset', true],
    ['scopes add up', adminReader, 'search', true],
    ['a JWT subject equal to a token name does not get the token\'s tools', jwtAlice, 'search', false],
    ['a token named like a JWT subject does not get the subject\'s tools', tokenNamedLikeSubject, 'deploy', false],
    ['the anonymous principal gets nothing under a policy', ANONYMOUS, 'search', false],
  ];
  for (const [title, principal, tool, allowed] of CASES) {
    it(`${title}: ${principal.kind} ${principal.name} / ${tool} → ${allowed ? 'allowed' : 'denied'}`, () => {
      assert.equal(POLICY.allows(principal, tool), allowed);
    });
  }

  it('with no policy configured, everyone may use everything', () => {
    const open = ToolPolicy.allowAll();
    assert.equal(open.restricts, false);
    for (const principal of [alice, stranger, reader, ANONYMOUS]) assert.equal(open.allows(principal, 'deploy'), true);
  });

  it('an empty policy object restricts: nobody gets anything', () => {
    const empty = ToolPolicy.parse('{}', 'empty');
    assert.equal(empty.restricts, true);
    assert.equal(empty.allows(root, 'search'), false);
  });
});

describe('ToolPolicy.filterToolsList', () => {
  const RESULT = {
    tools: [
      { name: 'search', description: 'Search', inputSchema: { type: 'object' } },
      { name: 'github_create_issue', inputSchema: { type: 'object' } },
      { name: 'deploy', inputSchema: { type: 'object' } },
      { description: 'no name' },
      'not an object',
    ],
    nextCursor: 'page-2',
    _meta: { x: 1 },
  };

  it('keeps the allowed tools and every other member of the result', () => {
    assert.deepEqual(POLICY.filterToolsList(RESULT, alice), {
      tools: [RESULT.tools[0], RESULT.tools[1]],
      nextCursor: 'page-2',
      _meta: { x: 1 },
    });
  });

  it('does not change the result it was given', () => {
    POLICY.filterToolsList(RESULT, nobody);
    assert.equal(RESULT.tools.length, 5);
  });

  it('a principal with no tools gets an empty list, not an error', () => {
    assert.deepEqual(POLICY.filterToolsList(RESULT, stranger).tools, []);
  });

  it('with no policy the result is returned as it is (same object)', () => {
    assert.equal(ToolPolicy.allowAll().filterToolsList(RESULT, stranger), RESULT);
  });

  for (const [title, value] of [['null', null], ['a string', 'x'], ['a result without tools', { resources: [] }], ['tools not an array', { tools: {} }]] as const) {
    it(`${title} is returned as it is`, () => {
      assert.equal(POLICY.filterToolsList(value, alice), value);
    });
  }
});

describe('ToolPolicy.parse errors', () => {
  const CASES: [string, string, RegExp][] = [
    ['not JSON', '{tokens:', /^tool policy p\.json is not valid JSON: /],
    ['an array', '[]', /^tool policy p\.json: expected an object with "tokens", "subjects" and\/or "scopes"$/],
    ['a misspelt section', '{"token": {}}', /unknown key "token"; expected "tokens", "subjects" or "scopes"/],
    ['a section that is an array', '{"tokens": []}', /tool policy p\.json: tokens: expected an object mapping names to arrays of tool names/],
    ['a list that is a string', '{"tokens": {"alice": "search"}}', /tool policy p\.json: tokens\.alice: expected an array of tool names/],
    ['a number in a list', '{"scopes": {"s": ["a", 1]}}', /tool policy p\.json: scopes\.s\[1\]: expected a non-empty tool name or pattern/],
    ['an empty pattern', '{"tokens": {"alice": [""]}}', /tokens\.alice\[0\]: expected a non-empty/],
    ['a * in the middle', '{"tokens": {"alice": ["git*hub"]}}', /tokens\.alice\[0\]: "git\*hub" has a \* that is not at the end/],
    ['a leading *', '{"subjects": {"s": ["*_admin"]}}', /subjects\.s\[0\]: "\*_admin" has a \* that is not at the end/],
    ['two stars', '{"tokens": {"alice": ["a**"]}}', /has a \* that is not at the end/],
  ];
  for (const [title, text, message] of CASES) {
    it(title, () => {
      assert.throws(() => ToolPolicy.parse(text, 'p.json'), (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('ToolPolicy.load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tool-policy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    const path = join(dir, 'policy.json');
    writeFileSync(path, '{ "tokens": { "alice": ["search"] } }\n');
    assert.equal(ToolPolicy.load(path).allows(alice, 'search'), true);
  });

  it('a missing file is an error naming it', () => {
    const path = join(dir, 'absent.json');
    assert.throws(() => ToolPolicy.load(path), { message: `tool policy ${path} cannot be read (ENOENT)` });
  });

  it('errors in a file name the file', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{ "tokens": { "alice": "search" } }');
    assert.throws(() => ToolPolicy.load(path), { message: `tool policy ${path}: tokens.alice: expected an array of tool names` });
  });
});
