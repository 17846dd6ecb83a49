import { z } from './zod';

export const smsEstimateRequestSchema = z
  .object({ text: z.string().max(20_000).openapi({ example: 'Hello Amina, your session starts at 09:00 \u2014 see you there\u2026' }) })
  .strict()
  .openapi('SmsEstimateRequest');

export const smsEstimateSchema = z
  .object({
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int().openapi({ description: 'carrier segments of the whole text as one message' }),
    charactersPerSegment: z.number().int().openapi({ description: '160/70 when it fits one segment, 153/67 per segment when concatenated' }),
    units: z.number().int().openapi({ description: 'GSM-7 septets (an extension character such as € counts two) or UCS-2 code units' }),
    characters: z.number().int().openapi({ description: 'characters as a person counts them (grapheme clusters)' }),
    parts: z.number().int().openapi({ description: 'messages Herald sends: more than one when longer than the maximum SMS length (sms.maxLength)' }),
    totalSegments: z.number().int().openapi({ description: 'carrier segments over every part: what the providers bill' }),
    nonGsmCharacters: z.array(z.string()).openapi({ description: 'distinct characters outside GSM-7; any one makes the text UCS-2' }),
    smartEncoding: z.boolean().openapi({ description: 'whether look-alikes were replaced first (config sms.smartEncoding)' }),
    text: z.string().openapi({ description: 'the text as it would be sent' }),
  })
  .openapi('SmsEstimate');
