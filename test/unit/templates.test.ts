import { UnprocessableError } from '../../src/domain/errors';
import { checkTemplates, compileCheck, renderMessage, type TemplateContext } from '../../src/domain/templates';

function context(overrides: Partial<TemplateContext['user']> = {}, window?: Partial<TemplateContext['window']>): TemplateContext {
  return {
    user: { id: 'u1', name: 'Amina', phone: '+254712345678', email: 'amina@example.org', timezone: 'Africa/Nairobi', ...overrides },
    program: { id: 'p1', name: 'Polio drive' },
    eventType: { id: 'e1', name: 'Session scheduled' },
    data: { amount: 'KES 1,000 & change', place: '<Kibera>', items: ['a', 'b'] },
    window: {
      start: new Date('2019-08-27T21:04:00Z'),
      end: new Date('2019-08-27T22:04:00Z'),
      validUntil: new Date('2019-08-27T22:04:00Z'),
      ...window,
    },
  };
}

describe('renderMessage: dates in the user zone and locale', () => {
  it('formats with formatDate in the user zone (Nairobi is UTC+3)', () => {
    const out = renderMessage({ sms: { text: 'Starts {{formatDate window.start "yyyy-MM-dd HH:mm"}}' } }, 'sms', context());
    expect(out).toEqual({ text: 'Starts 2019-08-28 00:04' });
  });

  it('defaults the format and falls back to UTC without a zone', () => {
    const out = renderMessage({ sms: { text: '{{formatDate window.start}}' } }, 'sms', context({ timezone: undefined }));
    expect(out.text).toBe('2019-08-27 21:04');
  });

  it('falls back to UTC for an unknown zone instead of failing', () => {
    const out = renderMessage({ sms: { text: '{{formatDate window.start}}' } }, 'sms', context({ timezone: 'Nowhere/Land' }));
    expect(out.text).toBe('2019-08-27 21:04');
  });

  it('uses the user locale for names of days and months', () => {
    const tpl = { sms: { text: '{{formatDate window.start "cccc d LLLL"}}' } };
    expect(renderMessage(tpl, 'sms', context({ locale: 'fr' })).text).toBe('mercredi 28 août');
    expect(renderMessage(tpl, 'sms', context({ locale: 'en' })).text).toBe('Wednesday 28 August');
  });

  it('lets a template override the zone', () => {
    const out = renderMessage({ sms: { text: '{{formatDate window.start "HH:mm" zone="America/New_York"}}' } }, 'sms', context());
    expect(out.text).toBe('17:04');
  });

  it('formats ISO strings from the event data', () => {
    const ctx = { ...context(), data: { due: '2019-09-01T09:00:00Z' } };
    expect(renderMessage({ sms: { text: 'Pay by {{formatDate data.due "d MMM HH:mm"}}' } }, 'sms', ctx).text).toBe('Pay by 1 Sep 12:00');
  });

  it('precomputes window.startLocal and window.endLocal in the user zone', () => {
    const out = renderMessage({ sms: { text: '{{window.startLocal}} - {{window.endLocal}}' } }, 'sms', context());
    expect(out.text).toBe('2019-08-28 00:04 GMT+3 - 2019-08-28 01:04 GMT+3');
  });

  it('gives the local times inside #with and lookup too, and nothing else of the window object', () => {
    const text = '{{#with window}}{{startLocal}} / {{validUntilLocal}}{{/with}} {{lookup window "endLocal"}} [{{window.constructor}}]';
    const out = renderMessage({ sms: { text } }, 'sms', context());
    expect(out.text).toBe('2019-08-28 00:04 GMT+3 / 2019-08-28 01:04 GMT+3 2019-08-28 01:04 GMT+3 []');
  });

  it('leaves endLocal empty for an open window', () => {
    const out = renderMessage({ sms: { text: 'from {{window.startLocal}}{{#if window.endLocal}} to {{window.endLocal}}{{/if}}' } }, 'sms', context({}, { end: undefined }));
    expect(out.text).toBe('from 2019-08-28 00:04 GMT+3');
  });
});

describe('renderMessage: escaping', () => {
  it('does not HTML-escape SMS text', () => {
    const out = renderMessage({ sms: { text: 'Paid {{data.amount}} at {{data.place}}' } }, 'sms', context());
    expect(out.text).toBe('Paid KES 1,000 & change at <Kibera>');
  });

  it('escapes values in HTML but not in the plain text and subject of the same email', () => {
    const tpl = { email: { subject: 'Receipt {{data.amount}}', text: 'Paid {{data.amount}}', html: '<p>Paid {{data.amount}} at {{data.place}}</p>' } };
    expect(renderMessage(tpl, 'email', context())).toEqual({
      subject: 'Receipt KES 1,000 & change',
      text: 'Paid KES 1,000 & change',
      html: '<p>Paid KES 1,000 &amp; change at &lt;Kibera&gt;</p>',
    });
  });

  it('does not reuse an escaping compilation for plain text of the same source', () => {
    const src = '{{data.place}}';
    expect(renderMessage({ email: { subject: 's', text: 't', html: src } }, 'email', context()).html).toBe('&lt;Kibera&gt;');
    expect(renderMessage({ sms: { text: src } }, 'sms', context()).text).toBe('<Kibera>');
  });

  it('keeps a subject on one line and trims the text', () => {
    const tpl = { email: { subject: '  Hello\n{{user.name}}\r\n', text: '\n  Body {{#each data.items}}[{{this}}]{{/each}}\n\n' } };
    expect(renderMessage(tpl, 'email', context())).toEqual({ subject: 'Hello Amina', text: 'Body [a][b]' });
  });

  it('renders a missing value as empty', () => {
    expect(renderMessage({ sms: { text: 'Ref {{data.nothing}}.' } }, 'sms', context()).text).toBe('Ref .');
  });
});

describe('renderMessage: defaults', () => {
  it('uses the default SMS template when the event type has none', () => {
    expect(renderMessage({}, 'sms', context()).text).toBe('Polio drive: Session scheduled at 2019-08-28 00:04 GMT+3');
  });

  it('uses the default email template, mentioning the end when there is one', () => {
    const closed = renderMessage({}, 'email', context());
    expect(closed.subject).toBe('Polio drive: Session scheduled');
    expect(closed.text).toBe('Hello Amina,\n\nSession scheduled (Polio drive) starts 2019-08-28 00:04 GMT+3 and ends 2019-08-28 01:04 GMT+3.');
    expect(closed.html).toBeUndefined();
    const open = renderMessage({}, 'email', context({}, { end: undefined }));
    expect(open.text).toBe('Hello Amina,\n\nSession scheduled (Polio drive) starts 2019-08-28 00:04 GMT+3.');
  });

  it('an SMS template does not stand in for a missing email one', () => {
    expect(renderMessage({ sms: { text: 'custom' } }, 'email', context()).subject).toBe('Polio drive: Session scheduled');
  });
});

describe('renderMessage: broken stored templates', () => {
  it('throws UnprocessableError naming the template field', () => {
    let caught: unknown;
    try {
      renderMessage({ sms: { text: 'Hi {{#if user.name}}' } }, 'sms', context());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnprocessableError);
    expect((caught as UnprocessableError).code).toBe('UNPROCESSABLE');
    expect((caught as UnprocessableError).issues[0].field).toBe('templates.sms.text');
  });
});

describe('compileCheck', () => {
  it('accepts valid templates, including helpers, blocks and each', () => {
    expect(compileCheck('{{formatDate window.start "HH:mm"}} {{#if data.x}}{{data.x}}{{else}}-{{/if}} {{#each data.l}}{{this}}{{/each}}')).toBeNull();
  });

  it('reports a syntax error on the named field, on one line', () => {
    const issue = compileCheck('Hello {{#if user.name}}', 'templates.sms.text');
    expect(issue?.field).toBe('templates.sms.text');
    expect(issue?.reason).toMatch(/^invalid template: Parse error/);
    expect(issue?.reason).not.toContain('\n');
  });

  it.each(['{{unknownHelper data.x}}', '{{#repeat 3}}x{{/repeat}}', '{{log "debug"}}'])('reports an unknown helper in %s', (src) => {
    expect(compileCheck(src)?.reason).toMatch(/unknown helper/);
  });

  it('checkTemplates lists every broken template of an event type', () => {
    const issues = checkTemplates({ sms: { text: '{{ok}}' }, email: { subject: '{{#if}}', text: 'fine', html: '<p>{{/each}}</p>' } });
    expect(issues.map((i) => i.field)).toEqual(['templates.email.subject', 'templates.email.html']);
    expect(checkTemplates({})).toEqual([]);
  });
});
