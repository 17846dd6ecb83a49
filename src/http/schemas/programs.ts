import { clearableText, nameSchema, dateTimeOut, idSchema, idText, pageOf } from './common';
import { z } from './zod';

const name = nameSchema;

export const programCreateSchema = z
  .object({ id: idSchema.optional(), name, description: z.string().max(2000).optional() })
  .strict()
  .openapi('ProgramCreate', { example: { id: 1, name: 'Vaccination drive' } });

export const programPatchSchema = z
  .object({ name: name.optional(), description: clearableText(2000) })
  .strict()
  .openapi('ProgramPatch', { description: 'null clears an optional field' });

export const programSchema = z
  .object({ id: z.string(), workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }), name: z.string(), description: z.string().optional(), createdAt: dateTimeOut, updatedAt: dateTimeOut })
  .openapi('Program');

export const programPageSchema = pageOf(programSchema, 'ProgramPage');

export const programParams = z.object({ programId: idText });
