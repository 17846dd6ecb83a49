// The one place zod learns `.openapi()`: every HTTP schema imports `z` from here so the
// schemas that validate requests are the same ones the OpenAPI document is generated from.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
