// The workspace a request acts in. Until API keys carry one, every request is the default workspace.
import type { Response } from 'express';

export function workspaceOf(res: Response): string {
  const ws = res.locals.workspaceId;
  return typeof ws === 'string' && ws !== '' ? ws : 'default';
}
