// Google service-account auth shared by the gmail provider and the Sheets export: a
// google-auth-library JWT whose token exchange can be pointed at another token URL (tests,
// proxies). googleapis is loaded on first use (it takes ~0.6 s).
import type { JWT } from 'google-auth-library';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** googleapis, required on demand (as providers/registry.ts does: import() would go through tsx's ESM loader). */
export function googleapis(): typeof import('googleapis') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('googleapis') as typeof import('googleapis');
}

export interface ServiceAccountAuth {
  clientEmail: string;
  privateKey: string;
  scopes: string[];
  /** Domain-wide delegation: the Workspace user to act as. */
  subject?: string;
  /** Token endpoint instead of Google's. */
  tokenUrl?: string;
  timeoutMs: number;
}

/** A JWT client that signs its assertion with the key and exchanges it at `tokenUrl` (default Google's). */
export function serviceAccountJwt(opts: ServiceAccountAuth): JWT {
  const { google } = googleapis();
  // Node's own fetch: gaxios would otherwise import node-fetch dynamically on first use.
  const transporterOptions = { timeout: opts.timeoutMs, fetchImplementation: fetch };
  const jwt = new google.auth.JWT({ email: opts.clientEmail, key: opts.privateKey, subject: opts.subject, scopes: opts.scopes, transporterOptions });
  const tokenUrl = opts.tokenUrl;
  if (tokenUrl && tokenUrl !== GOOGLE_TOKEN_URL) {
    // The service-account flow (gtoken) has Google's token URL built in: re-point it on this client only.
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (String(config.url) === GOOGLE_TOKEN_URL) config.url = new URL(tokenUrl);
        return config;
      },
    });
  }
  return jwt;
}
