/**
 * Redaction for --log-tool-args as the pure functions it is: keys after normalization (case,
 * separators, camelCase, fullwidth and look-alike letters) with the ordinary words that must stay,
 * and secret-shaped spans inside any string. Fake keys are assembled at run time so no scanner
 * mistakes this file for a leak.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretKey, keyWords, redactSecrets, redactString, REDACTED } from '../../src/observability/redact.js';

const R = REDACTED;
const fill = (length: number, alphabet = 'aB3dE5gH7jK9mN1pQ2'): string => Array.from({ length }, (_, i) => alphabet[i % alphabet.length]).join('');

describe('keyWords', () => {
  const CASES: [string, string[]][] = [
    ['x-API_Key', ['x', 'api', 'key']],
    ['privateKey', ['private', 'key']],
    ['PINCode', ['pin', 'code']],
    ['userPIN', ['user', 'pin']],
    ['ｐａｓｓｗｏｒｄ', ['password']], // fullwidth
    ['p\u0430ssword', ['password']], // Cyrillic а
    ['ΡΑSS', ['pass']], // Greek capitals
    ['pa\u200Bss\u0301word', ['password']], // zero-width space, combining accent
  ];
  for (const [key, words] of CASES) it(`${JSON.stringify(key)} → ${words.join(' ')}`, () => assert.deepEqual(keyWords(key), words));
});

describe('isSecretKey', () => {
  const SECRET = [
    'password', 'Password', 'PASSWORD', 'Pass-Word', 'pass_word', 'passwd', 'pwd', 'user_pwd', 'db_pw', 'pass', 'passphrase',
    'secret', 'client_secret', 'clientSecret', 'token', 'access_token', 'accessToken', 'refresh-token', 'X-Auth-Token', 'authtoken',
    'apiKey', 'api_key', 'x-api-key', 'X-API-KEY', 'apikey', 'privateKey', 'private_key', 'PRIVATE-KEY', 'secretAccessKey',
    'authorization', 'Authorization', 'auth', 'x-auth', 'authHeader', 'bearer', 'Bearer', 'cookie', 'Set-Cookie', 'credentials',
    'signature', 'x-amz-signature', 'sig', 'otp', 'otpCode', 'totp', 'pin', 'PIN', 'card_pin', 'pinCode', 'pincode', 'jwt', 'mfa',
    'session', 'session_id', 'sessionId', 'connectionString', 'dsn', 'cvv', 'csrf',
    'ｐａｓｓｗｏｒｄ', 'p\u0430ssword', 'ΤΟΚΕΝ', 'аpi_kеy',
  ];
  const ORDINARY = [
    'text', 'query', 'name', 'path', 'url', 'key', 'id', 'author', 'authority', 'authors', 'opinion', 'spinner', 'pineapple',
    'spinach', 'pinned', 'pinyin', 'passenger', 'passage', 'bypass', 'compass', 'max_tokens', 'maxTokens', 'tokenizer', 'tokens_used',
    'topic', 'option', 'sigma', 'signal', 'design', 'assign', 'keyword', 'monkey', 'sessions_total',
    'optional', 'description', 'enabled',
  ];
  for (const key of SECRET) it(`${JSON.stringify(key)} is a secret key`, () => assert.equal(isSecretKey(key), true));
  for (const key of ORDINARY) it(`${JSON.stringify(key)} is an ordinary key`, () => assert.equal(isSecretKey(key), false));
});

describe('redactString: secret-shaped values, under any key', () => {
  const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.${fill(43)}`;
  const CASES: [string, string, string][] = [
    ['URL userinfo, user and password', 'https://alice:hunter2@db.example.com:5432/app', `https://${R}@db.example.com:5432/app`],
    ['URL userinfo, token as user', 'clone https://x-token-9f8e@github.com/org/repo.git now', `clone https://${R}@github.com/org/repo.git now`],
    ['postgres DSN', 'postgres://app:s3cr3t@10.0.0.1/db', `postgres://${R}@10.0.0.1/db`],
    ['secret query parameters', 'https://api.example.com/v1?q=cats&api_key=abc123&access_token=zz9', `https://api.example.com/v1?q=cats&api_key=${R}&access_token=${R}`],
    ['Bearer', 'Authorization: Bearer abc.def-123', `Authorization: Bearer ${R}`],
    ['bearer, lower case, long opaque', 'use bearer Zm9vYmFyYmF6cXV4cXV1eA here', `use bearer ${R} here`],
    ['Basic', 'Basic dXNlcjpwdw==', `Basic ${R}`],
    ['Token', 'Token 9f8e7d6c5b4a', `Token ${R}`],
    ['Digest', 'Digest username="bob", response="6629fae4"', `Digest ${R}`],
    ['a JWT alone', jwt, R],
    ['a JWT in text', `token is ${jwt}.`, `token is ${R}.`],
    ['a PEM block', `key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nend`, `key:\n${R}\nend`],
    ['an unterminated PEM block', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA', R],
    ['OpenAI', `key=sk-${fill(40)}`, `key=${R}`],
    ['OpenAI project key', `sk-proj-${fill(40)}`, R],
    ['Anthropic', `sk-ant-api03-${fill(40)}`, R],
    ['Stripe live secret', `sk_live_${fill(24)}`, R],
    ['Stripe restricted', `rk_live_${fill(24)}`, R],
    ['GitHub PAT (classic)', `ghp_${fill(36)}`, R],
    ['GitHub OAuth', `gho_${fill(36)}`, R],
    ['GitHub app', `ghs_${fill(36)}`, R],
    ['GitHub fine-grained', `github_pat_${fill(22)}_${fill(59)}`, R],
    ['Slack bot', `xoxb-${fill(12, '0123456789')}-${fill(24)}`, R],
    ['Slack user', `xoxp-${fill(12, '0123456789')}-${fill(24)}`, R],
    ['AWS access key id', `id ${'AKIA'}${fill(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')} ok`, `id ${R} ok`],
    ['AWS temporary key id', `${'ASIA'}${fill(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`, R],
    ['Google API key', `AIza${fill(35)}`, R],
    ['GitLab PAT', `glpat-${fill(20)}`, R],
    ['npm', `npm_${fill(36)}`, R],
    ['Hugging Face', `hf_${fill(34)}`, R],
    // Negatives: text that only resembles a secret stays.
    ['a URL without userinfo', 'https://example.com/a?q=1&page=2', 'https://example.com/a?q=1&page=2'],
    ['an e-mail address', 'mail bob@example.com', 'mail bob@example.com'],
    ['prose with "basic"', 'Basic information about tokens', 'Basic information about tokens'],
    ['prose with "bearer"', 'the bearer of bad news', 'the bearer of bad news'],
    ['prose with "token"', 'Token expired, sign in again', 'Token expired, sign in again'],
    ['sk- in a word', 'risk-assessment-for-the-whole-quarter-2026', 'risk-assessment-for-the-whole-quarter-2026'],
    ['scikit', 'pip install sk-learn', 'pip install sk-learn'],
    ['a short hf_', 'hf_hub', 'hf_hub'],
    ['eyJ without segments', 'eyJhbGciOiJ', 'eyJhbGciOiJ'],
    ['a git SHA', 'commit 4e5b6c4d1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d', 'commit 4e5b6c4d1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d'],
  ];
  for (const [title, input, output] of CASES) it(title, () => assert.equal(redactString(input), output));
});

describe('redactSecrets', () => {
  it('redacts by key at any depth, whatever the value, and by shape in every string', () => {
    const url = 'https://u:p4ss@h.example/x';
    assert.deepEqual(
      redactSecrets({
        text: 'hi',
        'Pass-Word': 'hunter2',
        nested: { privateKey: { n: 1 }, keep: 'visible', list: ['plain', `Bearer ${fill(20)}`] },
        pin: 1234,
        opinion: 'pineapple',
        endpoint: url,
      }),
      {
        text: 'hi',
        'Pass-Word': R,
        nested: { privateKey: R, keep: 'visible', list: ['plain', `Bearer ${R}`] },
        pin: R,
        opinion: 'pineapple',
        endpoint: `https://${R}@h.example/x`,
      },
    );
  });

  it('a top-level string and numbers, booleans and null pass through (strings redacted by shape)', () => {
    assert.equal(redactSecrets(`ghp_${fill(36)}`), R);
    assert.deepEqual(redactSecrets([1, true, null, 'ok']), [1, true, null, 'ok']);
  });

  it('nesting past 8 levels is cut', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 12; i += 1) deep = { d: deep };
    assert.match(JSON.stringify(redactSecrets(deep)), /\[too deep\]/);
  });
});
