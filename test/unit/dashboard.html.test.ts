// The dashboard's templates escape every value they are given; only markup they built is kept.
import { html, jsonData, raw, withQuery } from '../../src/http/dashboard/html';
import { safeNext } from '../../src/http/dashboard/pages/sign-in';
import { addressesOf } from '../../src/http/dashboard/pages/search';
import { parseUtc } from '../../src/http/dashboard/pages/notifications';

describe('dashboard templates', () => {
  it('escapes interpolated text and attributes, keeps nested templates, drops null and false', () => {
    const name = `<img src=x onerror="alert(1)">'&`;
    const out = html`<p title="${name}">${name}${html`<b>${'ok'}</b>`}${null}${false}${[html`<i>1</i>`, '<2>']}</p>`.value;
    expect(out).toBe('<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;<b>ok</b><i>1</i>&lt;2&gt;</p>');
    expect(html`${raw('<hr>')}`.value).toBe('<hr>');
  });

  it('embeds page data as JSON that cannot close its script element', () => {
    const out = jsonData('d', { text: '</script><script>alert(1)</script>' }).value;
    expect(out).not.toContain('</script><script>');
    expect(JSON.parse(out.replace(/^<script[^>]*>/, '').replace(/<\/script>$/, ''))).toEqual({ text: '</script><script>alert(1)</script>' });
  });

  it('builds links with only the filled parameters', () => {
    expect(withQuery('/x', { a: 'b c', empty: '', none: undefined, n: 0 })).toBe('/x?a=b+c&n=0');
  });

  it('goes back only to a path of this site after signing in', () => {
    expect(safeNext('/dashboard/logs?level=warn')).toBe('/dashboard/logs?level=warn');
    for (const bad of ['//evil.example/', 'https://evil.example/', '/\\evil.example', undefined, 42]) expect(safeNext(bad)).toBe('/');
  });

  it('reads a phone number in any common format, and an e-mail address in any case', () => {
    expect(addressesOf('+254 700-000 001')).toContain('+254700000001');
    expect(addressesOf('254700000001')).toContain('+254700000001');
    expect(addressesOf('Ben@Example.org')).toEqual(['Ben@Example.org', 'ben@example.org']);
  });

  it('reads a datetime-local value as UTC, and refuses what is not a date', () => {
    expect(parseUtc('2030-01-02T03:04')).toEqual(new Date('2030-01-02T03:04:00Z'));
    expect(parseUtc('2030-01-02')).toEqual(new Date('2030-01-02T00:00:00Z'));
    expect(parseUtc('2030-01-02T03:04:00+02:00')).toEqual(new Date('2030-01-02T01:04:00Z'));
    expect(parseUtc('yesterday')).toBeUndefined();
    expect(parseUtc('')).toBeUndefined();
  });
});
