import { leanParse } from '../../src/http/schemas/lean-parse';
import { notificationCreateSchema } from '../../src/http/schemas/notifications';

// The POST /v1/notifications body is parsed by an effect-free twin first (no per-parse hidden classes in the
// old generation); whatever the twin answers must be exactly what the full schema answers.
const bodies: unknown[] = [
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00.000Z', data: { seq: 1 } },
  { programId: 7, eventTypeId: 0, startTime: '2030-01-31T09:00:00Z', endTime: '2030-01-31T10:00:00+02:00' },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31 09:00', endTime: '2030-01-31T10:00:00Z', subscribers: false },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', recipients: [{ phone: '+15550100', name: 'A' }], data: {} },
  { programId: 'p', eventTypeId: 'e', startTime: 'tomorrow' },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', endTime: 'later' },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-02-30T09:00:00Z' },
  { programId: -1, eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' },
  { programId: 1.5, eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' },
  { programId: 'a b', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' },
  { eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', extra: 1 },
  { programId: 'p', eventTypeId: 'e', startTime: 5 },
  { programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', endTime: null },
  [],
  null,
];

describe('the lean parse of POST /v1/notifications bodies', () => {
  it.each(bodies.map((b) => [JSON.stringify(b), b]))('answers what the full schema answers: %s', (_name, body) => {
    const full = notificationCreateSchema.safeParse(body);
    const lean = leanParse(notificationCreateSchema, body);
    if (full.success) {
      // A valid body never needs the full parse; the value is the same, key for key and in the same order.
      expect(lean).toBeDefined();
      expect(lean!.data).toEqual(full.data);
      expect(Object.keys(lean!.data as object)).toEqual(Object.keys(full.data));
    } else {
      // An invalid body falls through to the full schema, which names the issues.
      expect(lean).toBeUndefined();
    }
  });

  it('converts ids to strings and times to dates as the full schema does', () => {
    const lean = leanParse(notificationCreateSchema, { programId: 7, eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' });
    expect(lean?.data).toEqual({ programId: '7', eventTypeId: 'e', startTime: new Date('2030-01-31T09:00:00Z') });
  });
});
