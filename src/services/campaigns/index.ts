// Campaigns: one text to many contacts through the ordinary message pipeline.
export { createCampaignService, recipientView, type CampaignEstimate, type CampaignService, type CampaignView, type CreateCampaign, type RecipientInput } from './service';
export { createLifecycle, type Lifecycle } from './lifecycle';
export { createCampaignEvents, type CampaignEvent, type CampaignEventKind, type CampaignEvents, type CampaignListener } from './events';
export { createCampaignGate, type CampaignGate, type GateDecision } from './gate';
export { PROVIDER_ALIASES, resolveProviderName, type ProviderRef } from './providers';
