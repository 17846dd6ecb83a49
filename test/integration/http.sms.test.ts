// POST /v1/sms/estimate: encoding and segments of a text before it is sent, with the configured
// maximum length and smart encoding; validated and documented like every route.
import request from 'supertest';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
afterEach(async () => {
  await t.store.close();
});

test('a GSM-7 text, a UCS-2 one and a long one: encoding, segments, characters per segment, parts', async () => {
  t = await makeApp({ 'sms.maxLength': 160 });
  const plain = await request(t.app).post('/v1/sms/estimate').send({ text: 'Hello Amina' });
  expect(plain.status).toBe(200);
  expect(plain.body).toEqual({
    encoding: 'GSM-7', segments: 1, charactersPerSegment: 160, units: 11, characters: 11, parts: 1, totalSegments: 1,
    nonGsmCharacters: [], smartEncoding: false, text: 'Hello Amina',
  });
  const curly = await request(t.app).post('/v1/sms/estimate').send({ text: `it\u2019s ${'a'.repeat(70)}` });
  expect(curly.body).toMatchObject({ encoding: 'UCS-2', segments: 2, charactersPerSegment: 67, nonGsmCharacters: ['\u2019'] });
  const long = await request(t.app).post('/v1/sms/estimate').send({ text: 'word '.repeat(60) });
  expect(long.body).toMatchObject({ encoding: 'GSM-7', segments: 2, parts: 2, totalSegments: 2 });
});

test('with sms.smartEncoding on, look-alikes are replaced first and the text stays GSM-7', async () => {
  t = await makeApp({ 'sms.smartEncoding': true });
  const r = await request(t.app).post('/v1/sms/estimate').send({ text: `\u201cHi\u201d \u2014 it\u2019s 10\u00a0am\u2026` });
  expect(r.body).toMatchObject({ encoding: 'GSM-7', segments: 1, smartEncoding: true, text: '"Hi" - it\'s 10 am...', nonGsmCharacters: [] });
});

test('bad bodies are 400 naming the field; the route is in the OpenAPI document', async () => {
  t = await makeApp();
  const missing = await request(t.app).post('/v1/sms/estimate').send({});
  expect([missing.status, fieldsOf(missing.body)]).toEqual([400, ['text']]);
  const extra = await request(t.app).post('/v1/sms/estimate').send({ text: 'x', to: '+1' });
  expect(fieldsOf(extra.body)).toEqual(['to']);
  const doc = (await request(t.app).get('/openapi.json')).body;
  const op = doc.paths['/v1/sms/estimate'].post;
  expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/SmsEstimate');
  expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '500']);
});
