// Contact lists (a campaign's audience by contactListId) and the workspace's contacts. Writing
// needs a sender key, reading a viewer's.
import type { ContactService } from '../../services/contacts';
import { route, type RouteSpec } from '../route';
import { listQuery } from '../schemas/common';
import {
  contactListAddedSchema, contactListAddSchema, contactListCreateSchema, contactListPageSchema, contactListParams, contactListSchema, contactPageSchema, contactQuery,
} from '../schemas/contacts';

const BASE = '/v1/contact-lists';
const tag = 'contacts';

export function contactRoutes(contacts: ContactService): RouteSpec[] {
  return [
    route({
      method: 'post', path: BASE, tag, access: 'sender', summary: 'Create a contact list, optionally with numbers',
      description: 'Numbers are normalised to E.164 (national ones in the default region) and become contacts of the workspace when new; a number twice is one member.',
      body: contactListCreateSchema, responses: { 201: { description: 'the list with its size', schema: contactListSchema } }, errors: [422, 503],
      async handler({ body, workspaceId }) {
        const l = await contacts.create(workspaceId, body);
        return { status: 201, body: l, headers: { Location: `${BASE}/${l.id}` } };
      },
    }),
    route({
      method: 'get', path: BASE, tag, access: 'viewer', summary: "The workspace's contact lists, oldest first",
      query: listQuery, responses: { 200: { description: 'a page of lists', schema: contactListPageSchema } }, errors: [503],
      async handler({ query, workspaceId }) {
        return { status: 200, body: await contacts.list(workspaceId, query) };
      },
    }),
    route({
      method: 'get', path: `${BASE}/:id`, tag, access: 'viewer', summary: 'A contact list with its size',
      params: contactListParams, responses: { 200: { description: 'the list', schema: contactListSchema } }, errors: [404, 503],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await contacts.get(workspaceId, params.id) };
      },
    }),
    route({
      method: 'post', path: `${BASE}/:id/contacts`, tag, access: 'sender', summary: 'Add numbers to a contact list (a member already there stays one member)',
      params: contactListParams, body: contactListAddSchema, responses: { 200: { description: 'the list, and how many numbers were new to it', schema: contactListAddedSchema } }, errors: [404, 422, 503],
      async handler({ params, body, workspaceId }) {
        return { status: 200, body: await contacts.addPhones(workspaceId, params.id, body.phones) };
      },
    }),
    route({
      method: 'delete', path: `${BASE}/:id`, tag, access: 'sender', summary: 'Delete a contact list (its contacts stay)',
      params: contactListParams, responses: { 204: { description: 'deleted' } }, errors: [404, 503],
      async handler({ params, workspaceId }) {
        await contacts.delete(workspaceId, params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'get', path: '/v1/contacts', tag, access: 'viewer', summary: "The workspace's contacts by number (`?phone=` a number or its first digits)",
      query: contactQuery, responses: { 200: { description: 'a page of contacts', schema: contactPageSchema } }, errors: [400, 503],
      async handler({ query, workspaceId }) {
        const { phone, limit, offset } = query;
        return { status: 200, body: await contacts.contacts(workspaceId, phone, { limit, offset }) };
      },
    }),
  ];
}
