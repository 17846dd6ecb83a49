// A notification whose fan-out ends (dispatched, cancelled, expired) may already be complete (no
// subscriber, every message refused): the notification repo tells the webhooks so, seen once here.
import type { NotificationStatus } from '../../domain/types';
import type { NotificationRepo, Store } from '../../store/store';
import type { CompletionCheck } from './events';

const ENDS: readonly NotificationStatus[] = ['dispatched', 'cancelled', 'expired'];

export function observeNotificationEnds(store: Store, onEnd: (c: CompletionCheck) => void): Store {
  const repo = store.notifications;
  const notifications: NotificationRepo = {
    ...repo,
    async transition(id, from, to, patch) {
      const n = await repo.transition(id, from, to, patch);
      if (n && ENDS.includes(to)) onEnd({ workspaceId: n.workspaceId, notificationId: n.id });
      return n;
    },
    async transitionEach(changes) {
      const after = await repo.transitionEach(changes);
      after.forEach((n, i) => {
        if (n && ENDS.includes(changes[i].to)) onEnd({ workspaceId: n.workspaceId, notificationId: n.id });
      });
      return after;
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'notifications') return notifications;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
