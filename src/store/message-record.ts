// Message records as fast (hidden-class) objects. An object literal filled by keyed stores (`out[k] = v`,
// a for-in copy) turns into a slow dictionary past ~16-19 properties: V8 stops giving a map grown by
// computed names more fields outside the object. A message has 15 to 27 fields, so every record copied
// that way (the Mongo store's read, each transition's image) was a dictionary: a copy ~1.7 KB instead of
// ~0.2 KB, and every field read of every listener a hash lookup.

/**
 * A plain object (Object.prototype, as `{}` makes) with room for a message's fields inside it: V8 sizes
 * a constructor's objects by the fields its first ones got (`{}` has room for 4), and keyed stores into
 * an object with room left keep it fast. Only messages are made here, so that room fits a message.
 */
function MessageShell(): void {}
MessageShell.prototype = Object.prototype;

/** An empty record to fill with a message's fields (by keyed stores, in any order). */
export function messageShell(): Record<string, unknown> {
  return new (MessageShell as unknown as new () => Record<string, unknown>)();
}
