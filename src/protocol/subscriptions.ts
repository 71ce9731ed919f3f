/**
 * `subscriptions/listen` (2026-07-28, basic/patterns/subscriptions.mdx): the filter a client opts
 * in with, what a 2025-era server can honor of it, and the messages of a listen stream, each one
 * tagged with the listen request's id. Pure.
 */
import type { JsonRpcId, JsonRpcNotification, JsonRpcResponse } from '../jsonrpc/message.js';
import { META } from './versions.js';

/** The revision's `SubscriptionFilter`: every field optional, an absent one not subscribed. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

type ListField = 'toolsListChanged' | 'promptsListChanged' | 'resourcesListChanged';

/** The change notifications a listen stream carries, by the filter field that opts in to each. */
export const FILTER_FIELD_OF: Readonly<Record<string, ListField | 'resourceSubscriptions'>> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
  'notifications/resources/updated': 'resourceSubscriptions',
};

/** The server capability (and its flag) that says a server sends what each field opts in to. */
const DECLARED_BY: Readonly<Record<ListField | 'resourceSubscriptions', [string, string]>> = {
  toolsListChanged: ['tools', 'listChanged'],
  promptsListChanged: ['prompts', 'listChanged'],
  resourcesListChanged: ['resources', 'listChanged'],
  resourceSubscriptions: ['resources', 'subscribe'],
};

const LIST_FIELDS: readonly ListField[] = ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'];

/** Resource URIs one listen may subscribe to; those past it are left out of its acknowledgment. */
export const MAX_RESOURCE_SUBSCRIPTIONS = 100;

/** Whether a child's notification belongs on listen streams rather than on any request's. */
export function isChangeNotification(method: string): boolean {
  return method in FILTER_FIELD_OF;
}

/** The filter of a listen request's params, or why it is not one. */
export function parseFilter(params: Record<string, unknown> | undefined): SubscriptionFilter | { invalid: string } {
  const notifications = params?.notifications;
  if (typeof notifications !== 'object' || notifications === null || Array.isArray(notifications)) return { invalid: 'params.notifications must be an object' };
  const given = notifications as Record<string, unknown>;
  const filter: SubscriptionFilter = {};
  for (const field of LIST_FIELDS) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return { invalid: `notifications.${field} must be a boolean` };
    if (value) filter[field] = true;
  }
  const uris = given.resourceSubscriptions;
  if (uris !== undefined) {
    if (!Array.isArray(uris) || !uris.every((uri) => typeof uri === 'string')) return { invalid: 'notifications.resourceSubscriptions must be an array of strings' };
    filter.resourceSubscriptions = [...new Set(uris)];
  }
  return filter;
}

function declares(capabilities: Record<string, unknown>, [name, flag]: [string, string]): boolean {
  const capability = capabilities[name] as Record<string, unknown> | undefined;
  return typeof capability === 'object' && capability !== null && capability[flag] === true;
}

/**
 * What of `requested` a server with `capabilities` can deliver: the list changes it declares
 * `listChanged` for, and, when it declares `resources.subscribe`, the first
 * MAX_RESOURCE_SUBSCRIPTIONS URIs (the caller keeps those the server then accepts).
 */
export function honorable(requested: SubscriptionFilter, capabilities: Record<string, unknown>): SubscriptionFilter {
  const honored: SubscriptionFilter = {};
  for (const field of LIST_FIELDS) if (requested[field] && declares(capabilities, DECLARED_BY[field])) honored[field] = true;
  if (requested.resourceSubscriptions && declares(capabilities, DECLARED_BY.resourceSubscriptions)) {
    honored.resourceSubscriptions = requested.resourceSubscriptions.slice(0, MAX_RESOURCE_SUBSCRIPTIONS);
  }
  return honored;
}

/** Whether a listen with `filter` opted in to `message` (a resource update: for one of its URIs). */
export function optedIn(filter: SubscriptionFilter, message: JsonRpcNotification): boolean {
  const field = FILTER_FIELD_OF[message.method];
  if (field === undefined) return false;
  if (field !== 'resourceSubscriptions') return filter[field] === true;
  const uri = message.params?.uri;
  return typeof uri === 'string' && filter.resourceSubscriptions?.includes(uri) === true;
}

function tagMeta(meta: unknown, id: JsonRpcId): Record<string, unknown> {
  return { ...(typeof meta === 'object' && meta !== null ? meta : {}), [META.subscriptionId]: id };
}

/** The first message of every listen stream: what the server agreed to honor. */
export function acknowledgement(id: JsonRpcId, honored: SubscriptionFilter): JsonRpcNotification {
  return { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: tagMeta(undefined, id), notifications: honored } };
}

/** A change notification as listen `id` delivers it. */
export function tagged(id: JsonRpcId, message: JsonRpcNotification): JsonRpcNotification {
  return { jsonrpc: '2.0', method: message.method, params: { ...message.params, _meta: tagMeta(message.params?._meta, id) } };
}

/** The answer that ends listen `id` gracefully (the server tears it down, e.g. on shutdown). */
export function listenEnded(id: JsonRpcId, serverInfo: Record<string, unknown> | undefined): JsonRpcResponse {
  const meta = tagMeta(serverInfo ? { [META.serverInfo]: serverInfo } : undefined, id);
  return { jsonrpc: '2.0', id, result: { resultType: 'complete', _meta: meta } };
}
