// One Sheets client per service-account key file, reused for a while (its token is cached inside).
import type { HeraldConfig } from '../../config';
import type { SheetExport } from '../../domain/sheets';
import { createSheetsApi, readServiceAccountKey, SheetsError, type SheetsApi } from './google-sheets';

const KEY_CACHE_MS = 300_000;

/** The API of a target: its own key file or GOOGLE_APPLICATION_CREDENTIALS; `apiFor` replaces googleapis in tests. */
export function createApiCache(cfg: HeraldConfig['sheets'], apiFor?: (t: SheetExport, keyFile: string) => SheetsApi): (t: SheetExport) => SheetsApi {
  const apis = new Map<string, { api: SheetsApi; at: number }>();
  return (t) => {
    const keyFile = t.keyFile ?? cfg.credentialsFile;
    if (!keyFile) throw new SheetsError('KEY_FILE', 'no key file: the target has none and GOOGLE_APPLICATION_CREDENTIALS is not set');
    if (apiFor) return apiFor(t, keyFile);
    const cached = apis.get(keyFile);
    if (cached && Date.now() - cached.at < KEY_CACHE_MS) return cached.api;
    const api = createSheetsApi({ key: readServiceAccountKey(keyFile), apiRoot: cfg.googleApiRoot, timeoutMs: cfg.timeoutMs });
    apis.set(keyFile, { api, at: Date.now() });
    return api;
  };
}
