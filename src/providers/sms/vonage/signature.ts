// Vonage (Nexmo) signed requests and the GSM 03.38 test that picks `type=unicode`.
import { createHash, createHmac } from 'node:crypto';

/** The algorithms a Vonage account can sign with (dashboard setting); `md5hash` is Vonage's default. */
export const SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/**
 * Vonage's documented scheme: every parameter but `sig`, sorted by name, each value with `&`
 * and `=` replaced by `_`, joined as `&name=value`; then md5hash = lowercase hex MD5 of that
 * string followed by the secret, or for the HMAC methods the uppercase hex HMAC of the string
 * keyed with the secret.
 */
export function vonageSignature(params: Record<string, string>, secret: string, method: SignatureMethod): string {
  const signed = Object.keys(params)
    .filter((k) => k !== 'sig')
    .sort()
    .map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash') return createHash('md5').update(signed + secret).digest('hex');
  return createHmac(method, secret).update(signed).digest('hex').toUpperCase();
}

/** GSM 03.38 basic and extension characters; anything else needs `type=unicode`. */
const GSM =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà' +
  '\f^{}\\[~]|€';
const GSM_SET = new Set(GSM);

export function isGsm(text: string): boolean {
  for (const ch of text) if (!GSM_SET.has(ch)) return false;
  return true;
}
