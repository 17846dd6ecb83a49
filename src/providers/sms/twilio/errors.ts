// Twilio SDK and transport failures mapped to the provider error catalogue.
import { ProviderError, errorCodeForHttpStatus, type ProviderErrorCode } from '../../types';
import { NOT_CONNECTED } from '../../http-call';

/** Twilio error codes that mean "this number cannot receive": retrying will not help. */
const INVALID_RECIPIENT_CODES = new Set([21211, 21614]);
const TIMED_OUT = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ERR_BAD_RESPONSE']);

interface TwilioHttpError {
  status: number;
  code?: number;
  message?: string;
  detail?: string;
}

interface TransportError {
  code?: string;
  message?: string;
  request?: { writableFinished?: boolean };
}

function isTwilioHttpError(e: unknown): e is TwilioHttpError {
  return typeof e === 'object' && e !== null && typeof (e as TwilioHttpError).status === 'number';
}

/** True when the whole request reached the socket: Twilio may have queued the message. */
function requestWasWritten(e: TransportError): boolean {
  return e.request?.writableFinished === true;
}

export function toProviderError(providerId: string, e: unknown, retryAfterMs?: number): ProviderError {
  if (e instanceof ProviderError) return e;
  if (isTwilioHttpError(e)) {
    const { status, code: twilioCode } = e;
    let code: ProviderErrorCode = errorCodeForHttpStatus(status);
    if (status === 400 && twilioCode !== undefined && INVALID_RECIPIENT_CODES.has(twilioCode)) code = 'INVALID_RECIPIENT';
    const text = e.message || e.detail || 'no message';
    return new ProviderError(code, `${providerId}: Twilio answered HTTP ${status}${twilioCode ? ` (error ${twilioCode})` : ''}: ${text}`, {
      httpStatus: status,
      ...(twilioCode !== undefined ? { providerCode: String(twilioCode) } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const t = (e ?? {}) as TransportError;
  const sys = t.code ?? '';
  const what = `${providerId}: ${t.message ?? String(e)}`;
  if (TIMED_OUT.has(sys)) return new ProviderError('TIMEOUT', what, { providerCode: sys, mayHaveBeenAccepted: requestWasWritten(t) });
  if (NOT_CONNECTED.has(sys)) return new ProviderError('NETWORK', what, { providerCode: sys, mayHaveBeenAccepted: false });
  if (DROPPED.has(sys)) return new ProviderError('NETWORK', what, { providerCode: sys, mayHaveBeenAccepted: requestWasWritten(t) });
  return new ProviderError('UNKNOWN', what, sys ? { providerCode: sys } : {});
}
