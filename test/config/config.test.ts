/**
 * Durations and sizes as operators write them, and the schema every option comes from: each
 * option's documented default must parse back to the value the daemon actually uses.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { defaultConfig, OPTIONS, settleConfig, type OptionSpec } from '../../src/config/schema.js';
import { formatSize, parseSize } from '../../src/config/size.js';
import { instanceIdOf } from '../../src/session/session-id.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const KB = 1024;
const MB = 1024 ** 2;
const GB = 1024 ** 3;

describe('parseDuration', () => {
  const CASES: [string, number | undefined][] = [
    ['500ms', 500],
    ['250ms', 250],
    ['5s', 5000],
    ['5sec', 5000],
    ['2min', 2 * MIN],
    ['2m', 2 * MIN],
    ['1h', HOUR],
    ['1hr', HOUR],
    ['30min', 30 * MIN],
    ['1.5s', 1500],
    ['infinity', Infinity],
    ['Infinity', Infinity],
    [' 5s ', 5000],
    ['5 s', 5000],
    ['5S', 5000],
    // A bare number is seconds, as in systemd's TimeoutStopSec=5.
    ['5', 5000],
    ['0', 0],
    ['0.25', 250],
    ['garbage', undefined],
    ['', undefined],
    ['s', undefined],
    ['5parsecs', undefined],
    ['5 days', undefined],
    ['-5s', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['NaN', undefined],
    ['5s5', undefined],
    ['.5s', undefined],
  ];
  for (const [text, expected] of CASES) {
    it(`${JSON.stringify(text)} → ${expected ?? 'undefined'}`, () => {
      assert.equal(parseDuration(text), expected);
    });
  }
});

describe('formatDuration', () => {
  const CASES: [number, string][] = [
    [500, '500ms'],
    [1500, '1500ms'],
    [0, '0ms'],
    [5000, '5s'],
    [90_000, '90s'],
    [2 * MIN, '2min'],
    [90 * MIN, '90min'],
    [HOUR, '1h'],
    [24 * HOUR, '24h'],
    [Infinity, 'infinity'],
  ];
  for (const [ms, expected] of CASES) {
    it(`${ms} → ${expected}`, () => {
      assert.equal(formatDuration(ms), expected);
    });
  }

  it('writes what parseDuration reads back to the same value', () => {
    for (const ms of [0, 1, 250, 999, 1000, 1500, 59_000, MIN, 61_000, 90 * MIN, HOUR, 36 * HOUR, Infinity]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms}`);
    }
  });
});

describe('parseSize', () => {
  const CASES: [string, number | undefined][] = [
    ['65536', 65536],
    ['1', 1],
    ['512b', 512],
    ['512kb', 512 * KB],
    ['1k', KB],
    ['4mb', 4 * MB],
    ['4m', 4 * MB],
    ['4MB', 4 * MB],
    ['4MiB', 4 * MB],
    ['4 mb', 4 * MB],
    ['1gb', GB],
    ['1.5kb', 1536],
    [' 64mb ', 64 * MB],
    ['0', undefined],
    ['0kb', undefined],
    ['-1', undefined],
    ['-4mb', undefined],
    ['garbage', undefined],
    ['', undefined],
    ['4tb', undefined],
    ['mb', undefined],
    ['1e6', undefined],
  ];
  for (const [text, expected] of CASES) {
    it(`${JSON.stringify(text)} → ${expected ?? 'undefined'}`, () => {
      assert.equal(parseSize(text), expected);
    });
  }
});

describe('formatSize', () => {
  const CASES: [number, string][] = [
    [1, '1'],
    [1000, '1000'],
    [1536, '1536'],
    [KB, '1kb'],
    [512 * KB, '512kb'],
    [4 * MB, '4mb'],
    [64 * MB, '64mb'],
    [GB, '1gb'],
    [3 * GB, '3gb'],
  ];
  for (const [bytes, expected] of CASES) {
    it(`${bytes} → ${expected}`, () => {
      assert.equal(formatSize(bytes), expected);
    });
  }

  it('writes what parseSize reads back to the same value', () => {
    for (const bytes of [1, 1000, 1023, KB, 1536, MB + 1, 4 * MB, 64 * MB, GB, 3 * GB]) {
      assert.equal(parseSize(formatSize(bytes)), bytes, `round trip of ${bytes}`);
    }
  });
});

describe('the option schema', () => {
  // Default texts that describe a behaviour rather than spell a value.
  const DESCRIPTIVE_DEFAULTS = new Set(['none', "the daemon's", 'from the command', 'the --pool-min value', 'the first --authorization-server', "the host name's first label"]);

  it('has one entry per config key, each with its own flag and MCP_SIDECAR_* variable', () => {
    const keys = OPTIONS.map((option) => option.key);
    assert.equal(new Set(keys).size, keys.length, 'duplicate key');
    assert.equal(new Set(OPTIONS.map((option) => option.flags.split(' ')[0])).size, OPTIONS.length, 'duplicate flag');
    assert.equal(new Set(OPTIONS.map((option) => option.env)).size, OPTIONS.length, 'duplicate variable');
    for (const option of OPTIONS) {
      assert.match(option.env, /^MCP_SIDECAR_[A-Z_]+$/, option.key);
      assert.match(option.flags, /^--[a-z-]+ (<[^>]+>|\[[^\]]+\])$/, option.key);
      assert.ok(option.accepts.length > 0, `${option.key} says what it accepts`);
    }
    assert.deepEqual(Object.keys(defaultConfig()).sort(), [...keys].sort());
  });

  for (const option of OPTIONS) {
    if (DESCRIPTIVE_DEFAULTS.has(option.defaultText)) continue;
    it(`${option.flags}: its default text ${JSON.stringify(option.defaultText)} parses to its default`, () => {
      assert.deepEqual(option.parse(option.defaultText, undefined), option.default);
    });
  }

  it('describes the descriptive defaults with values that are really absent or empty', () => {
    for (const option of OPTIONS) {
      if (!DESCRIPTIVE_DEFAULTS.has(option.defaultText)) continue;
      const value = option.default;
      // --pool-max's 0 stands for "follow --pool-min", which the CLI settles after parsing.
      const unset = value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0) || (option.key === 'poolMax' && value === 0)
        // --instance-id's default is this machine's: settled from the host name when the schema loads.
        || (option.key === 'instanceId' && value === instanceIdOf(hostname()));
      assert.ok(unset, option.key);
    }
  });

  it('writes duration and size defaults the way formatDuration and formatSize would', () => {
    const durations = ['idleTimeoutMs', 'drainTimeoutMs', 'timeoutStopMs'];
    const sizes = ['maxBodyBytes', 'maxMessageBytes'];
    for (const option of OPTIONS) {
      if (durations.includes(option.key)) assert.equal(option.defaultText, formatDuration(option.default as number), option.key);
      if (sizes.includes(option.key)) assert.equal(option.defaultText, formatSize(option.default as number), option.key);
    }
  });

  const option = (key: string): OptionSpec => {
    const found = OPTIONS.find((spec) => spec.key === key);
    assert.ok(found, key);
    return found;
  };

  const PARSE_CASES: [string, string, unknown][] = [
    ['port', '0', 0],
    ['port', '65535', 65535],
    ['port', '65536', undefined],
    ['port', '70000', undefined],
    ['port', 'abc', undefined],
    ['port', '-1', undefined],
    ['port', '80.5', undefined],
    ['port', '', undefined],
    ['path', '/custom', '/custom'],
    ['path', '/', '/'],
    ['path', 'nopath', undefined],
    ['path', '/a b', undefined],
    ['path', '/a?b=1', undefined],
    ['path', '/a#frag', undefined],
    ['logLevel', 'debug', 'debug'],
    ['logLevel', 'silent', 'silent'],
    ['logLevel', 'loud', undefined],
    ['logLevel', 'INFO', undefined],
    ['name', 'my-server_1.0', 'my-server_1.0'],
    ['name', 'has space', undefined],
    ['name', '', undefined],
    ['instanceId', 'mcp-sidecar-0', 'mcp-sidecar-0'],
    ['instanceId', 'a_B-9', 'a_B-9'],
    ['instanceId', 'x'.repeat(63), 'x'.repeat(63)],
    ['instanceId', 'x'.repeat(64), undefined],
    ['instanceId', 'web1.example.com', undefined],
    ['instanceId', 'has space', undefined],
    ['instanceId', '', undefined],
    ['host', '0.0.0.0', '0.0.0.0'],
    ['host', '  ', undefined],
    ['idleTimeoutMs', '5parsecs', undefined],
    ['idleTimeoutMs', 'infinity', Infinity],
    ['maxBodyBytes', '-1', undefined],
    ['maxBodyBytes', '512kb', 512 * KB],
    ['statusOperators', 'ops, sub:auth0|64f1c2,scope:mcp:admin', ['ops', 'sub:auth0|64f1c2', 'scope:mcp:admin']],
    ['statusOperators', 'sub:', undefined],
    ['statusOperators', 'two words', undefined],
  ];
  for (const [key, raw, expected] of PARSE_CASES) {
    it(`${key} parses ${JSON.stringify(raw)} → ${JSON.stringify(expected) ?? 'undefined'}`, () => {
      assert.deepEqual(option(key).parse(raw, undefined), expected);
    });
  }

  describe('--env', () => {
    const env = (): OptionSpec => option('env');
    it('parses KEY=VALUE, keeping any further = in the value', () => {
      assert.deepEqual(env().parse('KEY=a=b', {}), { KEY: 'a=b' });
    });
    it('accepts an empty value', () => {
      assert.deepEqual(env().parse('EMPTY=', {}), { EMPTY: '' });
    });
    it('accumulates over repeated flags, the later value winning', () => {
      const first = env().parse('A=1', {});
      const second = env().parse('B=2', first);
      assert.deepEqual(env().parse('A=3', second), { A: '3', B: '2' });
    });
    it('reads one pair per line from the environment variable', () => {
      assert.deepEqual(env().parse('A=1\nB=two words\n\n', {}), { A: '1', B: 'two words' });
    });
    it('does not change the previous value it was given', () => {
      const previous = { A: '1' };
      env().parse('B=2', previous);
      assert.deepEqual(previous, { A: '1' });
    });
    for (const bad of ['NOEQUALS', '=value', '1ABC=x', 'A-B=x', 'A B=x', 'A=1\nbroken']) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        assert.equal(env().parse(bad, {}), undefined);
      });
    }
  });
});

describe('settleConfig', () => {
  it('refuses --status-operators without authentication, and takes it with tokens or JWTs', () => {
    const operators = { ...defaultConfig(), statusOperators: ['ops'] };
    assert.match(settleConfig({ ...operators }) ?? '', /^option '--status-operators' needs authentication/);
    assert.equal(settleConfig({ ...operators, authTokens: 'ops:0123456789abcdef0123' }), undefined);
    assert.equal(settleConfig({ ...operators, authTokensFile: '/etc/tokens' }), undefined);
  });

  it('refuses a --resume-timeout below --sse-retry: a client told to wait would find its stream gone', () => {
    assert.equal(settleConfig({ ...defaultConfig(), sseRetryMs: 5000, resumeTimeoutMs: 5000 }), undefined);
    assert.equal(settleConfig({ ...defaultConfig(), resumeTimeoutMs: Infinity }), undefined);
    assert.equal(settleConfig({ ...defaultConfig(), sseRetryMs: 5000, resumeTimeoutMs: 2000 }),
      "option '--resume-timeout' value 2s is below --sse-retry 5s: a client told to wait that long would find its stream gone. Expected at least 5s.");
  });
});
