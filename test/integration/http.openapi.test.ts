// The OpenAPI document states exactly what validation enforces, and shows a realistic error per status.
import request from 'supertest';
import { makeApp, type TestApp } from './http.support';

type Json = Record<string, any>;
let t: TestApp;
let doc: Json;
beforeAll(async () => {
  t = await makeApp();
  doc = (await request(t.app).get('/openapi.json')).body;
});
afterAll(async () => {
  await t.store.close();
});

const resolve = (s: Json): Json => (s.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);
const operations = (): Array<[string, string, Json]> =>
  Object.entries<Json>(doc.paths).flatMap(([path, ops]) => Object.entries<Json>(ops).map(([m, op]): [string, string, Json] => [m, path, op]));

function walk(node: unknown, visit: (o: Json, where: string) => void, where = ''): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, `${where}/${i}`));
  else if (node && typeof node === 'object') {
    visit(node as Json, where);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${where}/${k}`);
  }
}

test('paging parameters state their minimum and maximum', () => {
  const params = doc.paths['/v1/notifications'].get.parameters as Json[];
  expect(params.find((p) => p.name === 'limit')!.schema).toEqual({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
  expect(params.find((p) => p.name === 'offset')!.schema).toMatchObject({ type: 'integer', minimum: 0, default: 0 });
});

test('no nullable is an untyped branch; a nullable enum lists null', () => {
  walk(doc, (o, where) => {
    if (o.nullable === true) expect({ where, type: o.type ?? o.$ref ?? o.anyOf }).toEqual({ where, type: expect.anything() });
    if (o.nullable === true && Array.isArray(o.enum)) expect(o.enum).toContain(null);
  });
  const clearSms = doc.components.schemas.EventTypePatch.properties.templates.properties.sms;
  expect(clearSms).toMatchObject({ type: 'object', nullable: true, required: ['text'] });
});

test('channels are unique items; every PATCH body needs a field; a user needs a phone or an email', async () => {
  expect(doc.components.schemas.SubscriptionCreate.properties.channels).toMatchObject({ type: 'array', minItems: 1, uniqueItems: true });
  for (const [method, path, op] of operations().filter(([m]) => m === 'patch')) {
    expect({ method, path, minProperties: resolve(op.requestBody.content['application/json'].schema).minProperties }).toEqual({ method, path, minProperties: 1 });
  }
  expect(doc.components.schemas.UserCreate.anyOf).toEqual([{ required: ['phone'] }, { required: ['email'] }]);
  const empty = await request(t.app).patch('/v1/programs/1').send({});
  expect([empty.status, empty.body.error.issues]).toEqual([400, [{ field: 'body', reason: 'must change at least one field' }]]);
});

test('each error status of each operation has an example of its own code, not VALIDATION_FAILED for all', () => {
  const CODE: Record<string, string> = { '404': 'NOT_FOUND', '409': 'CONFLICT', '413': 'PAYLOAD_TOO_LARGE', '415': 'UNSUPPORTED_MEDIA_TYPE', '422': 'UNPROCESSABLE', '500': 'INTERNAL', '503': 'STORE_UNAVAILABLE' };
  for (const [, , op] of operations()) {
    for (const [status, r] of Object.entries<Json>(op.responses)) {
      // /health's 503 is a Health body, not an error.
      if (Number(status) < 400 || r.content['application/json'].schema.$ref !== '#/components/schemas/Error') continue;
      const example = r.content['application/json'].example;
      expect(example.error.message).toEqual(expect.any(String));
      if (CODE[status]) expect(example.error.code).toBe(CODE[status]);
    }
  }
  expect(doc.paths['/v1/programs/{programId}'].get.responses['404'].content['application/json'].example).toEqual({
    error: { code: 'NOT_FOUND', message: "program '7' not found" },
  });
  expect(doc.paths['/v1/subscriptions'].post.responses['422'].content['application/json'].example.error.issues[0]).toEqual({
    field: 'userId', reason: "user '9' does not exist",
  });
});

test('a created resource links to its own operations (stateful testing follows them)', () => {
  const links = doc.paths['/v1/programs'].post.responses['201'].links;
  expect(links.get_created).toEqual({ operationId: 'get_v1_programs_programId', parameters: { programId: '$response.body#/id' } });
  expect(doc.paths['/v1/programs/{programId}'].get.operationId).toBe('get_v1_programs_programId');
});
