/** The rules of a shared child's sessions (shared-terms.ts), row by row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientInitializeResult, missingCapability, mostVerbose, negotiatedVersion, wantsLog } from '../../src/session/shared-terms.js';

describe('negotiatedVersion', () => {
  const ROWS: [unknown, string, string][] = [
    ['2025-06-18', '2025-11-25', '2025-06-18'],
    ['2024-11-05', '2025-11-25', '2024-11-05'],
    ['2025-11-25', '2025-11-25', '2025-11-25'],
    ['2025-11-25', '2025-06-18', '2025-06-18'], // the client is newer than the child: the child's
    ['2099-01-01', '2025-11-25', '2025-11-25'], // not a version we serve
    ['2026-07-28', '2025-11-25', '2025-11-25'], // a modern version is not negotiated by initialize
    [undefined, '2025-03-26', '2025-03-26'],
    [42, '2025-03-26', '2025-03-26'],
  ];
  for (const [requested, child, expected] of ROWS) {
    it(`answers ${String(requested)} with ${expected} when the child speaks ${child}`, () => {
      assert.equal(negotiatedVersion(requested, child), expected);
    });
  }
});

describe('clientInitializeResult', () => {
  it('is the child\'s result with the negotiated version, without tasks', () => {
    const child = { protocolVersion: '2025-11-25', capabilities: { tools: { listChanged: true }, tasks: { list: {} } }, serverInfo: { name: 's', version: '1' }, instructions: 'hi' };
    assert.deepEqual(clientInitializeResult(child, '2025-06-18'), {
      protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: true } }, serverInfo: { name: 's', version: '1' }, instructions: 'hi',
    });
    assert.deepEqual(child.capabilities.tasks, { list: {} }, 'the child\'s own result is left as it was');
  });
});

describe('missingCapability', () => {
  const ROWS: [string, Record<string, unknown> | undefined, string | undefined][] = [
    ['sampling/createMessage', { sampling: {} }, undefined],
    ['sampling/createMessage', {}, 'sampling'],
    ['elicitation/create', { sampling: {} }, 'elicitation'],
    ['elicitation/create', { elicitation: { form: {} } }, undefined],
    ['roots/list', undefined, 'roots'],
    ['roots/list', { roots: { listChanged: true } }, undefined],
    ['ping', {}, undefined],
    ['something/new', undefined, undefined],
  ];
  for (const [method, capabilities, expected] of ROWS) {
    it(`${method} with ${JSON.stringify(capabilities)}: ${expected ?? 'nothing'} missing`, () => {
      assert.equal(missingCapability(method, capabilities), expected);
    });
  }
});

describe('log levels', () => {
  const WANTS: [string | undefined, unknown, boolean][] = [
    [undefined, 'debug', true],
    ['info', 'debug', false],
    ['info', 'info', true],
    ['info', 'emergency', true],
    ['error', 'warning', false],
    ['error', 'not-a-level', true], // a level we do not know is not withheld
    ['not-a-level', 'debug', true],
  ];
  for (const [wanted, level, expected] of WANTS) {
    it(`a session at ${String(wanted)} ${expected ? 'sees' : 'does not see'} ${String(level)}`, () => {
      assert.equal(wantsLog(wanted, level), expected);
    });
  }

  it('sets the child to the most verbose level asked for', () => {
    assert.equal(mostVerbose([]), undefined);
    assert.equal(mostVerbose([undefined, undefined]), undefined);
    assert.equal(mostVerbose(['error', undefined, 'info', 'warning']), 'info');
    assert.equal(mostVerbose(['bogus', 'critical']), 'critical');
  });
});
