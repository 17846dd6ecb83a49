import { ROLES } from '../../domain/types';
import { dateTimeOut, idSchema, idText, pageOf } from './common';
import { z } from './zod';

const name = z.string().trim().min(1, 'must not be empty').max(200);

export const workspaceCreateSchema = z
  .object({
    id: idSchema.optional(),
    name,
    credits: z.number().min(0, 'must be 0 or more').nullable().optional().openapi({ description: 'opening balance; null: unmetered' }),
  })
  .strict()
  .openapi('WorkspaceCreate', { example: { name: 'University of Nairobi', credits: 100 } });

export const workspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    balance: z.number().nullable().openapi({ description: 'credits left; null when unmetered (or no credits service runs)' }),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('Workspace');

export const workspacePageSchema = pageOf(workspaceSchema, 'WorkspacePage');
export const workspaceParams = z.object({ workspaceId: idText });

export const keyCreateSchema = z
  .object({ role: z.enum(ROLES), name: z.string().trim().min(1, 'must not be empty').max(200) })
  .strict()
  .openapi('ApiKeyCreate', { example: { role: 'sender', name: 'ops scripts' } });

const keyFields = {
  id: z.string(),
  workspaceId: z.string(),
  role: z.enum(ROLES),
  name: z.string(),
  prefix: z.string().openapi({ description: 'the first characters of the key, to recognise it' }),
  createdAt: dateTimeOut,
  updatedAt: dateTimeOut,
};

export const keySchema = z
  .object({ ...keyFields, lastUsedAt: dateTimeOut.optional(), revokedAt: dateTimeOut.optional() })
  .openapi('ApiKey', { description: 'a key as listed: never the key itself' });

export const keyCreatedSchema = z
  .object({ ...keyFields, key: z.string().openapi({ description: 'the key: shown this once, only its hash is kept' }) })
  .openapi('ApiKeyCreated');

export const keyPageSchema = pageOf(keySchema, 'ApiKeyPage');
export const keyParams = workspaceParams.extend({ keyId: idText });
