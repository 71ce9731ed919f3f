/**
 * subscriptions/listen's pure rules (src/protocol/subscriptions.ts), table by table: which filters
 * are valid, what a 2025-era server's capabilities let the daemon honor, which notification a
 * filter opted in to, and the stream's messages, each tagged with the listen request's id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RESOURCE_SUBSCRIPTIONS,
  acknowledgement,
  honorable,
  isChangeNotification,
  listenEnded,
  optedIn,
  parseFilter,
  tagged,
  type SubscriptionFilter,
} from '../../src/protocol/subscriptions.js';

const SUB = 'io.modelcontextprotocol/subscriptionId';

describe('parseFilter', () => {
  const cases: Array<[string, Record<string, unknown> | undefined, SubscriptionFilter | 'invalid']> = [
    ['no params', undefined, 'invalid'],
    ['no notifications', { _meta: {} }, 'invalid'],
    ['notifications is an array', { notifications: [] }, 'invalid'],
    ['notifications is null', { notifications: null }, 'invalid'],
    ['an empty filter: valid, nothing subscribed', { notifications: {} }, {}],
    ['false is left out', { notifications: { toolsListChanged: false, promptsListChanged: true } }, { promptsListChanged: true }],
    ['a string where a boolean goes', { notifications: { toolsListChanged: 'yes' } }, 'invalid'],
    ['URIs, repeats dropped', { notifications: { resourceSubscriptions: ['a', 'b', 'a'] } }, { resourceSubscriptions: ['a', 'b'] }],
    ['an empty URI list is kept', { notifications: { resourceSubscriptions: [] } }, { resourceSubscriptions: [] }],
    ['a URI that is not a string', { notifications: { resourceSubscriptions: ['a', 1] } }, 'invalid'],
    ['URIs that are not a list', { notifications: { resourceSubscriptions: 'a' } }, 'invalid'],
    ['unknown fields are ignored', { notifications: { toolsListChanged: true, somethingElse: 1 } }, { toolsListChanged: true }],
  ];
  for (const [name, params, expected] of cases) {
    it(name, () => {
      const parsed = parseFilter(params);
      if (expected === 'invalid') assert.ok('invalid' in parsed, JSON.stringify(parsed));
      else assert.deepEqual(parsed, expected);
    });
  }
});

describe('honorable: what a server\'s capabilities let the daemon deliver', () => {
  const everything: SubscriptionFilter = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['file:///a'] };
  const cases: Array<[string, Record<string, unknown>, SubscriptionFilter]> = [
    ['a server that declares every notification', { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true, subscribe: true } }, everything],
    ['tools without listChanged', { tools: {}, prompts: { listChanged: true } }, { promptsListChanged: true }],
    ['resources with subscribe only', { resources: { subscribe: true } }, { resourceSubscriptions: ['file:///a'] }],
    ['resources with listChanged only', { resources: { listChanged: true } }, { resourcesListChanged: true }],
    ['no capabilities at all', {}, {}],
    ['listChanged that is not true', { tools: { listChanged: 'true' } }, {}],
  ];
  for (const [name, capabilities, expected] of cases) it(name, () => assert.deepEqual(honorable(everything, capabilities), expected));

  it('asks nothing that was not requested', () => {
    assert.deepEqual(honorable({ toolsListChanged: true }, { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } }), { toolsListChanged: true });
  });

  it(`keeps the first ${MAX_RESOURCE_SUBSCRIPTIONS} URIs`, () => {
    const uris = Array.from({ length: MAX_RESOURCE_SUBSCRIPTIONS + 5 }, (_, i) => `r://${i}`);
    assert.deepEqual(honorable({ resourceSubscriptions: uris }, { resources: { subscribe: true } }).resourceSubscriptions, uris.slice(0, MAX_RESOURCE_SUBSCRIPTIONS));
  });
});

describe('optedIn and isChangeNotification', () => {
  const filter: SubscriptionFilter = { toolsListChanged: true, resourceSubscriptions: ['file:///a'] };
  const cases: Array<[string, string, Record<string, unknown> | undefined, boolean]> = [
    ['tools list change, opted in', 'notifications/tools/list_changed', undefined, true],
    ['prompts list change, not opted in', 'notifications/prompts/list_changed', undefined, false],
    ['resources list change, not opted in', 'notifications/resources/list_changed', undefined, false],
    ['an update of a subscribed URI', 'notifications/resources/updated', { uri: 'file:///a' }, true],
    ['an update of another URI', 'notifications/resources/updated', { uri: 'file:///b' }, false],
    ['an update without a URI', 'notifications/resources/updated', {}, false],
    ['a log line is never a listen notification', 'notifications/message', { level: 'info' }, false],
    ['progress is never a listen notification', 'notifications/progress', { progressToken: 1 }, false],
  ];
  for (const [name, method, params, expected] of cases) {
    it(name, () => assert.equal(optedIn(filter, { jsonrpc: '2.0', method, ...(params ? { params } : {}) }), expected));
  }

  it('knows the four change notifications and nothing else', () => {
    for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed', 'notifications/resources/updated']) assert.ok(isChangeNotification(method), method);
    for (const method of ['notifications/message', 'notifications/progress', 'notifications/cancelled', 'notifications/roots/list_changed']) assert.ok(!isChangeNotification(method), method);
  });
});

describe('the messages of a listen stream', () => {
  it('the acknowledgment carries the honored filter and the listen id', () => {
    assert.deepEqual(acknowledgement(7, { toolsListChanged: true }), {
      jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [SUB]: 7 }, notifications: { toolsListChanged: true } },
    });
  });

  it('a tagged notification keeps its params and its own _meta', () => {
    const message = tagged('L1', { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a', _meta: { mine: 1 } } });
    assert.deepEqual(message, { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a', _meta: { mine: 1, [SUB]: 'L1' } } });
    assert.deepEqual(tagged('L1', { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }).params, { _meta: { [SUB]: 'L1' } });
  });

  it('the graceful end is a complete result with the listen id and the server\'s identity', () => {
    assert.deepEqual(listenEnded(3, { name: 's', version: '1' }), {
      jsonrpc: '2.0', id: 3, result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' }, [SUB]: 3 } },
    });
  });
});
