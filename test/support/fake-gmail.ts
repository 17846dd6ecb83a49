// A local stand-in for Google's OAuth token endpoint and the Gmail API's messages.send, so the
// `gmail` provider runs the real googleapis SDK over real HTTP. Point it here with options
// { rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl, ... }.
//
// - POST /token, form-encoded: grant_type=refresh_token with client_id, client_secret and
//   refresh_token matching the fake's, or grant_type=jwt-bearer with an RS256 assertion from a
//   registered service account (signature checked with its public key, iss and the gmail.send
//   scope checked, sub recorded). Else 400 {error: 'invalid_grant'} / 401 {error: 'invalid_client'}.
// - POST /gmail/v1/users/:userId/messages/send, JSON {raw}: needs a Bearer token the fake
//   issued (else 401 authError), decodes raw (base64url RFC 822) and records it; a missing To
//   header is 400 "Invalid To header". Answers {id, threadId, labelIds: ['SENT']}.
// failNext(n, fault) applies to sends only (see fake-http-server.ts); {vendor: reason} answers
// 403 with that reason (e.g. 'userRateLimitExceeded').
import { createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { startFakeServer, type FakeAnswer, type FakeServer } from './fake-http-server';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GMAIL_SEND = 'https://www.googleapis.com/auth/gmail.send';

export interface GmailSent {
  id: string;
  userId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  raw: string;
}

export interface TokenGrant {
  grantType: string;
  clientId?: string;
  /** Service-account assertions: the JWT claims. */
  claims?: { iss?: string; sub?: string; scope?: string; aud?: string };
}

export interface FakeGmail extends FakeServer {
  rootUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  received: GmailSent[];
  tokens: TokenGrant[];
  /** Accepts jwt-bearer assertions from this service account. */
  addServiceAccount(clientEmail: string, publicKeyPem: string): void;
  /** Forgets every access token issued so far (the next send gets 401 and must refresh). */
  revokeTokens(): void;
}

function googleError(status: number, reason: string, message: string): FakeAnswer {
  return { status, body: { error: { code: status, message, errors: [{ domain: 'global', reason, message }], status: status === 401 ? 'UNAUTHENTICATED' : undefined } } };
}

function decodeJwt(assertion: string, keys: Map<string, KeyObject>): TokenGrant['claims'] | undefined {
  const [h, p, sig] = assertion.split('.');
  if (!h || !p || !sig) return undefined;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as TokenGrant['claims'] & { exp?: number };
  const key = claims?.iss ? keys.get(claims.iss) : undefined;
  if (!key) return undefined;
  const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(sig, 'base64url'));
  return ok && (claims.exp ?? 0) * 1000 > Date.now() ? claims : undefined;
}

export async function startFakeGmail(): Promise<FakeGmail> {
  const clientId = `${randomBytes(6).toString('hex')}.apps.googleusercontent.com`;
  const clientSecret = randomBytes(12).toString('hex');
  const refreshToken = `1//${randomBytes(16).toString('hex')}`;
  const received: GmailSent[] = [];
  const tokens: TokenGrant[] = [];
  const issued = new Set<string>();
  const serviceAccounts = new Map<string, KeyObject>();

  const issue = (): FakeAnswer => {
    const token = `ya29.${randomBytes(16).toString('hex')}`;
    issued.add(token);
    return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer', scope: GMAIL_SEND } };
  };

  const server = await startFakeServer(
    (x, fault) => {
      if (x.method === 'POST' && x.path === '/token') {
        const f = x.form;
        if (f.grant_type === 'refresh_token') {
          tokens.push({ grantType: f.grant_type, clientId: f.client_id });
          if (f.client_id !== clientId || f.client_secret !== clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } };
          return f.refresh_token === refreshToken ? issue() : { status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } };
        }
        if (f.grant_type === JWT_BEARER) {
          const claims = decodeJwt(f.assertion ?? '', serviceAccounts);
          tokens.push({ grantType: f.grant_type, claims });
          if (!claims) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
          return claims.scope?.split(' ').includes(GMAIL_SEND) ? issue() : { status: 400, body: { error: 'invalid_scope' } };
        }
        return { status: 400, body: { error: 'unsupported_grant_type' } };
      }
      const send = /^\/gmail\/v1\/users\/([^/]+)\/messages\/send$/.exec(x.path);
      if (x.method !== 'POST' || !send) return googleError(404, 'notFound', 'Not Found');
      if (typeof fault === 'object') return googleError(403, fault.vendor, 'Rate limit exceeded');
      const bearer = String(x.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issued.has(bearer)) return googleError(401, 'authError', 'Invalid Credentials');
      const raw = (x.json as { raw?: string } | undefined)?.raw;
      if (!raw) return googleError(400, 'invalidArgument', "'raw' RFC822 payload message string or uploading message via /upload/* URL required");
      const rfc822 = Buffer.from(raw, 'base64url');
      if (!/^to:/im.test(rfc822.toString('utf8').split(/\r?\n\r?\n/)[0])) return googleError(400, 'invalidArgument', 'Invalid To header');
      return simpleParser(rfc822).then((mail): FakeAnswer => {
        const headers: Record<string, string> = {};
        for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
        const id = randomBytes(8).toString('hex');
        received.push({
          id,
          userId: send[1],
          from: mail.from?.text ?? '',
          to: headers.to ?? '',
          subject: mail.subject ?? '',
          text: (mail.text ?? '').trim(),
          ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
          headers,
          raw,
        });
        return { status: 200, body: { id, threadId: id, labelIds: ['SENT'] } };
      });
    },
    (x) => x.path !== '/token',
  );

  const fake: FakeGmail = {
    ...server,
    rootUrl: `${server.url}/`,
    tokenUrl: `${server.url}/token`,
    clientId,
    clientSecret,
    refreshToken,
    received,
    tokens,
    addServiceAccount(clientEmail, publicKeyPem) {
      serviceAccounts.set(clientEmail, createPublicKey(publicKeyPem));
    },
    revokeTokens() {
      issued.clear();
    },
  };
  return fake;
}
