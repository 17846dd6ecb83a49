// How `herald status` shows a notification's window: the effective one, and the one asked for when re-anchored.
type When = Date | string;

export interface WindowView {
  startTime: When;
  endTime?: When;
  validUntil: When;
  requestedWindow?: { startTime: When; endTime?: When };
}

const iso = (t: When): string => (typeof t === 'string' ? t : t.toISOString());

/** The `window` line, and a `requested` line when Herald re-anchored the window it was given. */
export function formatWindow(n: WindowView): string {
  const end = n.endTime ? iso(n.endTime) : `(open, valid until ${iso(n.validUntil)})`;
  const effective = `  window   ${iso(n.startTime)} .. ${end}`;
  const asked = n.requestedWindow;
  if (!asked) return effective;
  const askedEnd = asked.endTime ? iso(asked.endTime) : '(open)';
  return `${effective} (re-anchored)\n  asked    ${iso(asked.startTime)} .. ${askedEnd} (had closed when it arrived)`;
}
