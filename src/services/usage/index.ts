// The store as the rest of Herald sees it: the same, except that message writes feed listeners
// (usage rollups, metrics). One wrapper at the composition root; no worker knows about it.
import type { Logger } from '../../log/logger';
import type { Store } from '../../store/store';
import { observeMessages, type MessageListener, type ObserveOptions } from './observe-messages';

export { createUsageRecorder, type UsageRecorder } from './recorder';
export type { MessageChange, MessageListener, ObserveOptions } from './observe-messages';

export function observeStore(store: Store, listeners: MessageListener[], logger?: Logger, options?: ObserveOptions): Store {
  const messages = observeMessages(store.messages, listeners, logger, options);
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'messages') return messages;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
