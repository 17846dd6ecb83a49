// Contact lists and contacts on the wire.
import { dateTimeOut, idText, nameSchema, pageOf, pageQuery } from './common';
import { z } from './zod';

const phonesSchema = z
  .array(z.string().min(1).max(40).openapi({ example: '+254712345678' }))
  .max(1000)
  .openapi({ description: 'E.164, or national form in the default region; an invalid one is 422 naming phones[i]' });

export const contactListCreateSchema = z
  .object({ name: nameSchema.openapi({ example: 'Class of 2027' }), phones: phonesSchema.optional() })
  .strict()
  .openapi('ContactListCreate');

export const contactListAddSchema = z.object({ phones: phonesSchema.min(1) }).strict().openapi('ContactListAdd');

export const contactListSchema = z
  .object({ id: z.string(), workspaceId: z.string(), name: z.string(), size: z.number().int().openapi({ description: 'its members' }), createdAt: dateTimeOut, updatedAt: dateTimeOut })
  .openapi('ContactList');

export const contactListAddedSchema = contactListSchema.extend({ added: z.number().int().openapi({ description: 'numbers that were not members yet' }) }).openapi('ContactListAdded');

export const contactListPageSchema = pageOf(contactListSchema, 'ContactListPage');

export const contactSchema = z
  .object({ id: z.string(), workspaceId: z.string(), phone: z.string(), name: z.string().optional(), data: z.record(z.unknown()).optional(), createdAt: dateTimeOut, updatedAt: dateTimeOut })
  .openapi('Contact');

export const contactPageSchema = pageOf(contactSchema, 'ContactPage');

export const contactListParams = z.object({ id: idText });

export const contactQuery = z
  .object({
    phone: z.string().regex(/^\+?[0-9 ()-]{1,30}$/, 'must be a number or its first digits').optional().openapi({ description: 'a number, or its first digits: contacts whose number starts with it' }),
    ...pageQuery(50, 500),
  })
  .strict();
