import { isE164, isEmail, normalizePhone, toE164 } from '../../src/domain/contact';

describe('isE164', () => {
  it.each(['+254712345678', '+14155550123', '+442079460958', '+33612345678'])('accepts %s', (p) => {
    expect(isE164(p)).toBe(true);
  });

  it.each([
    ['254712345678', 'no plus'],
    ['+0712345678', 'leading zero'],
    ['+123456', 'six digits'],
    ['+1234567890123456', 'sixteen digits'],
    ['+1234567', 'E.164-shaped but no such number'],
    ['+25471234567', 'a digit short for Kenya'],
    ['+254 712 345 678', 'spaces'],
    ['+254-712-345678', 'dashes'],
    ['++254712345678', 'two pluses'],
    ['', 'empty'],
    ['+25471234567a', 'a letter'],
  ])('rejects %s (%s)', (p) => {
    expect(isE164(p)).toBe(false);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+254 712 345 678', '+254712345678'],
    ['+1 (415) 555-0123', '+14155550123'],
    ['  +44 20.7946.0958 ', '+442079460958'],
    ['+254\t712-345-678', '+254712345678'],
  ])('%s -> %s', (input, out) => {
    expect(normalizePhone(input)).toBe(out);
    expect(isE164(normalizePhone(input))).toBe(true);
  });

  it('never invents a country code', () => {
    expect(normalizePhone('0712 345 678')).toBe('0712345678');
    expect(isE164(normalizePhone('0712 345 678'))).toBe(false);
    expect(normalizePhone('00254 712 345678')).toBe('00254712345678');
  });
});

describe('toE164', () => {
  it.each([
    ['+254 712 345 678', undefined, '+254712345678'],
    ['0712 345 678', 'KE', '+254712345678'],
    ['(415) 555-0123', 'US', '+14155550123'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+33 6 12 34 56 78', 'KE', '+33612345678'],
  ])('%s with region %s -> %s', (raw, region, out) => {
    expect(toE164(raw, region)).toBe(out);
  });

  it.each([
    ['0712 345 678', undefined, 'national without a region'],
    ['0712 345', 'KE', 'too short'],
    ['not a number', 'KE', 'letters'],
    ['0712 345 678', 'XX', 'unknown region'],
  ] as Array<[string, string | undefined, string]>)('%s with region %s is not a number (%s)', (raw, region) => {
    expect(toE164(raw, region)).toBeUndefined();
  });
});

describe('isEmail', () => {
  it.each(['amina@example.org', 'a.b+tag@mail.example.co.ke', 'x@a-b.io', 'UPPER@EXAMPLE.COM', "o'neil@example.ie"])(
    'accepts %s',
    (a) => {
      expect(isEmail(a)).toBe(true);
    },
  );

  it.each([
    ['amina', 'no @'],
    ['@example.org', 'empty local part'],
    ['amina@', 'empty domain'],
    ['a@b@example.org', 'two @'],
    ['amina@example', 'undotted domain'],
    ['ops@localhost', 'undotted localhost'],
    ['amina @example.org', 'space'],
    ['amina@exa mple.org', 'space in domain'],
    ['amina@example..org', 'empty label'],
    ['amina@.example.org', 'leading dot'],
    ['amina@example.org.', 'trailing dot'],
    ['amina@-example.org', 'label starts with a hyphen'],
    [`${'a'.repeat(65)}@example.org`, 'local part over 64'],
    ['', 'empty'],
  ])('rejects %s (%s)', (a) => {
    expect(isEmail(a)).toBe(false);
  });
});
