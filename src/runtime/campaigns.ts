// Campaign wiring for the composition root: the service the API (and the dashboard) use, the
// event hook, the run on the dispatch queue, the ticker, the sender's gate and the routes.
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { RouteSpec } from '../http/route';
import type { Logger } from '../log/logger';
import type { ProviderConfig } from '../providers/types';
import { createCampaignEvents, createCampaignGate, createCampaignService, createLifecycle, type CampaignEvents, type CampaignGate, type CampaignService } from '../services/campaigns';
import type { Metering } from '../services/credits';
import { emitWebhookEvent, makeWebhookEvent } from '../services/webhooks/events';
import type { Store } from '../store/store';
import { createCampaignRunner, isCampaignJob } from '../workers/campaign-runner';
import { createCampaignTicker } from '../workers/campaign-ticker';

export interface CampaignWiring {
  service: CampaignService;
  events: CampaignEvents;
  ticker: ReturnType<typeof createCampaignTicker>;
  runner: ReturnType<typeof createCampaignRunner>;
  gate: () => CampaignGate;
  routes: () => RouteSpec[];
}

export { isCampaignJob };

export function wireCampaigns(deps: { store: Store; bus: Bus; config: HeraldConfig; logger: Logger; metering: Metering; smsProviders: ProviderConfig[] }): CampaignWiring {
  const { store, bus, config, logger, metering } = deps;
  const events = createCampaignEvents(logger);
  const lifecycle = createLifecycle({ store, bus, logger, metering, events });
  const providers = deps.smsProviders.map(({ id, type }) => ({ id, type }));
  const service = createCampaignService({ store, config, lifecycle, providers });
  const ticker = createCampaignTicker({
    store, lifecycle, config, logger, events,
    // `campaign.completed` for the client webhooks, queued before the campaign is marked completed.
    announce: (c, counts) =>
      emitWebhookEvent(bus, makeWebhookEvent({
        workspaceId: c.workspaceId, type: 'campaign.completed', key: c.id,
        data: { campaignId: c.id, name: c.name, recipients: c.recipients, messages: c.run.messages, startedAt: c.run.startedAt, counts },
      })),
  });
  return {
    service,
    events,
    ticker,
    runner: createCampaignRunner({ store, bus, config, logger, metering, events }),
    gate: () => createCampaignGate(store),
    // Required only by a serving process (serve.ts): a sender thread loads no routes, schemas or CSV parser.
    routes: () => {
      const { campaignRoutes } = require('../http/routes/campaigns') as typeof import('../http/routes/campaigns');
      const { contactRoutes } = require('../http/routes/contacts') as typeof import('../http/routes/contacts');
      const { importRoutes } = require('../http/routes/imports') as typeof import('../http/routes/imports');
      const { createContactService } = require('../services/contacts') as typeof import('../services/contacts');
      const { createImporter } = require('../services/campaigns/importer') as typeof import('../services/campaigns/importer');
      return [...campaignRoutes(service, store), ...contactRoutes(createContactService({ store, config })), ...importRoutes(createImporter({ store, config, providers }))];
    },
  };
}
