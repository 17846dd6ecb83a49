// googleapis (gaxios) failures, from the Gmail API or from the token endpoint, mapped to the
// provider error catalogue.
import { ProviderError, errorCodeForHttpStatus, type ProviderErrorCode } from '../../types';
import { retryAfterFrom } from '../../../domain/retry';
import { NOT_CONNECTED } from '../../http-call';

interface GaxiosLikeError {
  status?: number;
  code?: string | number;
  message?: string;
  name?: string;
  response?: { status?: number; data?: unknown; headers?: unknown };
  cause?: unknown;
}

/** The first system error code along the cause chain (gaxios wraps fetch's TypeError, which wraps it). */
function systemCode(e: unknown): string {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  }
  return '';
}

function isTimeout(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { name, code } = cur as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError' || code === 'TimeoutError' || code === 'ETIMEDOUT') return true;
  }
  return false;
}

/** Google's `{error: {code, message, errors: [{reason}]}}`, or OAuth's `{error: 'invalid_grant'}`. */
interface GoogleErrorBody {
  error?: string | { message?: string; status?: string; errors?: Array<{ reason?: string; message?: string }> };
  error_description?: string;
}

/** Usage limits Gmail reports as 403: "slow down", not "forbidden". */
const RATE_REASONS = /rateLimitExceeded|userRateLimitExceeded|dailyLimitExceeded|quotaExceeded|RESOURCE_EXHAUSTED/;
const BAD_RECIPIENT = /invalid to header|recipient address required|invalid recipient/i;

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

function httpError(providerId: string, status: number, err: GaxiosLikeError): ProviderError {
  const body = (err.response?.data ?? {}) as GoogleErrorBody;
  let code: ProviderErrorCode = errorCodeForHttpStatus(status);
  let reason: string | undefined;
  let text = err.message ?? '';
  if (typeof body.error === 'string') {
    // The token endpoint refused the credentials (invalid_grant, invalid_client, ...).
    reason = body.error;
    text = `token endpoint: ${body.error}${body.error_description ? ` (${body.error_description})` : ''}`;
    if (status < 500 && status !== 429) code = 'AUTH';
  } else if (body.error) {
    reason = body.error.errors?.[0]?.reason ?? body.error.status;
    text = body.error.message ?? text;
    if (status === 403 && RATE_REASONS.test(reason ?? '')) code = 'RATE_LIMITED';
    if (status === 400 && BAD_RECIPIENT.test(text)) code = 'INVALID_RECIPIENT';
  }
  const wait = code === 'RATE_LIMITED' ? retryAfterFrom(header(err.response?.headers, 'retry-after')) : undefined;
  return new ProviderError(code, `${providerId}: Gmail answered HTTP ${status}: ${text}`, {
    httpStatus: status,
    ...(reason ? { providerCode: reason } : {}),
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

export function toProviderError(providerId: string, e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as GaxiosLikeError;
  const status = err.response?.status ?? err.status;
  if (typeof status === 'number' && status > 0) return httpError(providerId, status, err);
  const sys = systemCode(e);
  const what = `${providerId}: ${err.message ?? String(e)}${sys ? ` (${sys})` : ''}`;
  if (isTimeout(e)) return new ProviderError('TIMEOUT', what, { mayHaveBeenAccepted: true });
  if (NOT_CONNECTED.has(sys)) return new ProviderError('NETWORK', what, { providerCode: sys, mayHaveBeenAccepted: false });
  if (sys) return new ProviderError('NETWORK', what, { providerCode: sys, mayHaveBeenAccepted: true });
  return new ProviderError('UNKNOWN', what);
}
