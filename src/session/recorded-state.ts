/**
 * What a client set up in its session that a restarted child must be told again: the initialize
 * request and the initialized notification, the logging level, the resource subscriptions.
 * (Anything else the server kept in memory is lost with the old child; the README says so.)
 */
import type { Framed, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/message.js';

export interface ReplayRequest {
  method: string;
  params: Record<string, unknown>;
}

export class RecordedState {
  initialize: JsonRpcRequest | undefined;
  initialized: string | undefined;
  private logLevel: Record<string, unknown> | undefined;
  private readonly subscriptions = new Set<string>();

  /** Looks at one client message on its way to the child. */
  observe(framed: Framed): void {
    const message = framed.message as JsonRpcRequest | JsonRpcNotification;
    switch (message.method) {
      case 'initialize':
        this.initialize = message as JsonRpcRequest;
        break;
      case 'notifications/initialized':
        this.initialized = framed.raw;
        break;
      case 'logging/setLevel':
        this.logLevel = message.params;
        break;
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = message.params?.uri;
        if (typeof uri !== 'string') break;
        if (message.method === 'resources/subscribe') this.subscriptions.add(uri);
        else this.subscriptions.delete(uri);
        break;
      }
      default:
        break;
    }
  }

  /** The requests that bring a fresh child to where the old one was, after initialize. */
  replayRequests(): ReplayRequest[] {
    const requests: ReplayRequest[] = [];
    if (this.logLevel) requests.push({ method: 'logging/setLevel', params: this.logLevel });
    for (const uri of this.subscriptions) requests.push({ method: 'resources/subscribe', params: { uri } });
    return requests;
  }
}
