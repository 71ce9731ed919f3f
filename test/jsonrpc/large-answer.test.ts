/**
 * Large child answers are relayed as bytes: the scanner must agree with JSON.parse on what is
 * valid, find the envelope's members, and leave anything that is not a plain successful answer to
 * the ordinary path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bodyOf, isToolError, LargeAnswer } from '../../src/jsonrpc/large-answer.js';
import { parseLine } from '../../src/jsonrpc/message.js';
import { scanObject } from '../../src/jsonrpc/scan-json.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('scanObject', () => {
  it('agrees with JSON.parse on valid and broken documents', () => {
    const table: Array<[string, boolean]> = [
      ['{}', true], [' { "a" : 1 } ', true], ['{"a":[1,2,{"b":null}],"c":"\\u00e9\\n"}', true], ['{"a":-0.5e+10}', true],
      ['{"a":01}', false], ['{"a":1.}', false], ['{"a":.5}', false], ['{"a":"x\ty"}', false], ['{"a":"\\x"}', false],
      ['{"a":"\\u12G4"}', false], ['{"a":tru}', false], ['{"a":1,}', false], ['{"a" 1}', false], ['{"a":1}}', false],
      ['{"a":1} x', false], ['{"a":[1,]}', false], ['{"a":"unterminated}', false], ['{a:1}', false], ['', false],
    ];
    for (const [text, valid] of table) {
      assert.equal(parses(text), valid, `table row ${text}`);
      assert.equal(scanObject(bytes(text)) !== undefined, valid, text);
    }
    // Not an object at the top: the caller parses it the ordinary way.
    assert.equal(scanObject(bytes('[1,2]')), undefined);
  });

  it('agrees with JSON.parse on generated objects and their one-byte corruptions', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.nat(), fc.integer({ min: 0, max: 255 }), (object, at, byte) => {
      const text = JSON.stringify(object);
      const scanned = scanObject(bytes(text), 'x');
      assert.ok(scanned, text);
      assert.deepEqual(scanned.members.map(({ key }) => key), Object.keys(object));
      for (const member of scanned.members) {
        assert.deepEqual(JSON.parse(bytes(text).toString('utf8', member.start, member.end)), (object as Record<string, unknown>)[member.key]);
      }
      const broken = bytes(text);
      broken[at % broken.length] = byte;
      const brokenText = broken.toString('utf8');
      // Only ASCII corruptions: a broken UTF-8 sequence decodes to U+FFFD, which JSON.parse accepts.
      if (byte < 0x80 && Buffer.from(brokenText).equals(broken)) {
        const top = parses(brokenText) && typeof JSON.parse(brokenText) === 'object' && !Array.isArray(JSON.parse(brokenText)) && JSON.parse(brokenText) !== null;
        assert.equal(scanObject(broken) !== undefined, top, brokenText);
      }
    }), { seed: 17, numRuns: 500 });
  });

  it('finds a quote, a backslash or a control byte at any place in a long text, whatever its alignment', () => {
    // Long plain runs are skipped a 4-byte word at a time: every offset in the word, and every
    // alignment of the buffer in its memory, must still see the byte that matters.
    const plain = 'aé€😀'.repeat(9); // 1-, 2-, 3- and 4-byte characters
    const backing = Buffer.alloc(4096);
    for (let shift = 0; shift < 4; shift++) {
      for (let at = 0; at <= plain.length; at++) {
        for (const [insert, valid] of [['"', false], ['\\n', true], ['\\q', false], ['\n', false], ['\u001f', false], ['\u007f', true], ['', true]] as const) {
          const text = `{"x":"${plain.slice(0, at)}${insert}${plain.slice(at)}","y":1}`;
          const encoded = bytes(text);
          const data = backing.subarray(shift, shift + encoded.length);
          encoded.copy(data);
          assert.equal(parses(text), valid, `table row ${JSON.stringify(insert)}`);
          const scanned = scanObject(data);
          assert.equal(scanned !== undefined, valid, `shift ${shift}, ${JSON.stringify(text)}`);
          if (scanned) assert.deepEqual(scanned.members.map(({ key }) => key), ['x', 'y']);
        }
      }
    }
  });
});

describe('LargeAnswer', () => {
  const result = { content: [{ type: 'text', text: 'x'.repeat(100) }], isError: true };

  it('reads the envelope and keeps the bytes', () => {
    const line = bytes(JSON.stringify({ result, jsonrpc: '2.0', id: 7 }));
    const answer = LargeAnswer.from(line);
    assert.ok(answer);
    assert.equal(answer.message.id, 7);
    assert.equal(answer.kind, 'response');
    assert.equal(answer.bytes, line.length);
    assert.equal(bodyOf(answer), line, 'the very bytes go out');
    assert.equal(isToolError(answer), true);
    assert.deepEqual(answer.message.result, result);
    assert.equal(answer.raw, line.toString('utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(answer.message)), { jsonrpc: '2.0', id: 7, result });
    assert.equal(isToolError(LargeAnswer.from(bytes('{"jsonrpc":"2.0","id":"a","result":{"isError":false}}')) ?? assert.fail()), false);
    assert.equal(LargeAnswer.from(bytes('{"jsonrpc":"2.0","id":null,"result":{}}'))?.message.id, null);
  });

  it('leaves everything else to the ordinary path', () => {
    for (const text of [
      '{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"no"}}',
      '{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{}}',
      '{"jsonrpc":"1.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":true,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{},"extra":1}',
      '{"jsonrpc":"2.0","result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{}',
    ]) {
      assert.equal(LargeAnswer.from(bytes(text)), undefined, text);
    }
    // The ordinary path agrees on what is and is not an answer.
    assert.equal(parseLine('{"jsonrpc":"2.0","id":1,"result":{},"extra":1}')?.kind, 'response');
  });
});
