/**
 * Resource subscriptions the daemon holds on lease children for `subscriptions/listen` streams. A
 * 2025-era child learns of a subscription by `resources/subscribe` and sends
 * `notifications/resources/updated` for it until `resources/unsubscribe`; the daemon sends both
 * itself, once per child and URI however many listens of the principal share that child (counted
 * here), and records them as a client's would be, so a restarted child is subscribed again.
 */
import type { Framed, JsonRpcRequest } from '../jsonrpc/message.js';
import type { Session } from './session.js';

interface Subscription {
  /** Listens that asked for it and have not let go. */
  holders: number;
  /** Whether the child accepted it (settles once). */
  accepted: Promise<boolean>;
}

/** A request the daemon sent, as the session's record of a client's setup sees it. */
function recordedAs(method: string, uri: string): Framed {
  const message: JsonRpcRequest = { jsonrpc: '2.0', id: 0, method, params: { uri } };
  const raw = JSON.stringify(message);
  return { kind: 'request', message, raw, bytes: raw.length };
}

export class ChildSubscriptions {
  private readonly bySession = new Map<Session, Map<string, Subscription>>();
  private readonly timeoutMs: number;

  /** `timeoutMs` bounds each resources/subscribe the daemon waits for. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Subscribes `session`'s child to each of `uris`; resolves with those it accepted. */
  async subscribe(session: Session, uris: readonly string[]): Promise<string[]> {
    const accepted = await Promise.all(uris.map((uri) => this.subscribeOne(session, uri)));
    return uris.filter((_, index) => accepted[index]);
  }

  /** Lets go of `uris` (accepted earlier); the child hears resources/unsubscribe for each one no listen holds any more. */
  unsubscribe(session: Session, uris: readonly string[]): void {
    const subscriptions = this.bySession.get(session);
    if (!subscriptions) return;
    for (const uri of uris) {
      const subscription = subscriptions.get(uri);
      if (!subscription || --subscription.holders > 0) continue;
      subscriptions.delete(uri);
      if (!session.live) continue;
      session.recorded.observe(recordedAs('resources/unsubscribe', uri));
      session.ask('resources/unsubscribe', { uri }, this.timeoutMs).then(
        (answer) => {
          if (answer.error) session.logger.debug({ uri, error: answer.error }, 'resources/unsubscribe refused by the child');
        },
        (error: Error) => session.logger.debug({ uri, err: error.message }, 'resources/unsubscribe not answered'),
      );
    }
    if (subscriptions.size === 0) this.bySession.delete(session);
  }

  /** The session ended: its child and its subscriptions are gone. */
  forget(session: Session): void {
    this.bySession.delete(session);
  }

  /** URIs `session`'s child is subscribed to for listens (for tests and /status). */
  urisOf(session: Session): string[] {
    return [...(this.bySession.get(session)?.keys() ?? [])];
  }

  private subscribeOne(session: Session, uri: string): Promise<boolean> {
    let subscriptions = this.bySession.get(session);
    const known = subscriptions?.get(uri);
    if (known) {
      known.holders++;
      return known.accepted;
    }
    if (!session.live) return Promise.resolve(false);
    if (!subscriptions) {
      subscriptions = new Map();
      this.bySession.set(session, subscriptions);
    }
    const subscription: Subscription = { holders: 1, accepted: this.ask(session, uri) };
    subscriptions.set(uri, subscription);
    // A refusal is not kept: the next listen asks again (the resource may exist by then).
    void subscription.accepted.then((accepted) => {
      if (!accepted && this.bySession.get(session)?.get(uri) === subscription) this.unsubscribeRefused(session, uri);
    });
    return subscription.accepted;
  }

  private async ask(session: Session, uri: string): Promise<boolean> {
    try {
      const answer = await session.ask('resources/subscribe', { uri }, this.timeoutMs);
      if (answer.error) {
        session.logger.debug({ uri, error: answer.error }, 'resources/subscribe refused by the child: left out of the listen acknowledgment');
        return false;
      }
      session.recorded.observe(recordedAs('resources/subscribe', uri));
      return true;
    } catch (error) {
      session.logger.warn({ uri, err: (error as Error).message }, 'resources/subscribe not answered: left out of the listen acknowledgment');
      return false;
    }
  }

  private unsubscribeRefused(session: Session, uri: string): void {
    const subscriptions = this.bySession.get(session);
    subscriptions?.delete(uri);
    if (subscriptions?.size === 0) this.bySession.delete(session);
  }
}
