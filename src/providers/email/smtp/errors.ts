// nodemailer failures mapped to the provider error catalogue.
import { ProviderError } from '../../types';

interface SmtpError {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  timeoutType?: string;
  message?: string;
}

/** Permanent codes that, on RCPT or with recipient wording, mean "no such mailbox". */
const RECIPIENT_CODES = new Set([550, 551, 553]);
const NETWORK_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL']);

function isRecipientProblem(err: SmtpError): boolean {
  return (err.command ?? '').toUpperCase().startsWith('RCPT') || /recipient|mailbox|user unknown|no such user|address rejected/i.test(err.response ?? '');
}

export function toProviderError(providerId: string, e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as SmtpError;
  const what = `${providerId}: ${err.message ?? String(e)}`;
  const rc = err.responseCode;
  const providerCode = rc !== undefined ? String(rc) : (err.originalCode ?? err.code);
  const details = providerCode ? { providerCode } : {};

  if (err.code === 'EAUTH' || err.code === 'ENOAUTH') return new ProviderError('AUTH', what, details);
  // 4xx: the server says "try again later" (greylisting, full queue, rate limits).
  if (rc !== undefined && rc >= 400 && rc < 500) return new ProviderError('SERVER_ERROR', what, details);
  if (rc !== undefined && rc >= 500) {
    const code = RECIPIENT_CODES.has(rc) && isRecipientProblem(err) ? 'INVALID_RECIPIENT' : 'REJECTED';
    return new ProviderError(code, what, details);
  }
  if (err.code === 'ETIMEDOUT') {
    // A socket timeout may strike after the message data went out, waiting for the final 250.
    return new ProviderError('TIMEOUT', what, { ...details, mayHaveBeenAccepted: err.timeoutType === 'SOCKET_TIMEOUT' });
  }
  if (NETWORK_CODES.has(err.code ?? '')) return new ProviderError('NETWORK', what, { ...details, mayHaveBeenAccepted: false });
  // Refused locally before any server reply: a malformed address or message.
  if (err.code === 'EENVELOPE') return new ProviderError('INVALID_RECIPIENT', what, details);
  if (err.code === 'EMESSAGE') return new ProviderError('REJECTED', what, details);
  return new ProviderError('UNKNOWN', what, details);
}
