// POST /v1/sms/estimate: what an SMS text will cost (encoding, segments) before it is sent.
import { estimateSms } from '../../domain/sms';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { smsEstimateRequestSchema, smsEstimateSchema } from '../schemas/sms';

/** Role: viewer (it reads nothing and changes nothing). */
export function smsRoutes({ config }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/sms/estimate',
      access: 'viewer',
      tag: 'sms',
      summary: 'Estimate the encoding and carrier segments of an SMS text, as Herald would send it',
      description:
        'Counts as carriers do (GSM 03.38 septets or UCS-2 code units), splits at the configured maximum SMS length, and applies ' +
        'smart encoding (curly quotes, long dashes, ellipsis, no-break spaces to GSM-7) when sms.smartEncoding is on. Nothing is stored.',
      body: smsEstimateRequestSchema,
      responses: { 200: { description: 'the estimate', schema: smsEstimateSchema } },
      async handler({ body }) {
        const { perSegment, ...estimate } = estimateSms(body.text, config.sms);
        return { status: 200, body: { ...estimate, charactersPerSegment: perSegment } };
      },
    }),
  ];
}
