// Provider types Herald knows, and the one function that builds a provider from configuration.
// Adding a provider: its folder (index.ts exporting `create`) plus ONE line in FACTORIES.
import type { Channel } from '../domain/types';
import type { Provider, ProviderConfig, ProviderContext, ProviderFactory } from './types';

type ProviderModule = { create: ProviderFactory };

/**
 * type -> channel -> module loader. Loaders are lazy so an SDK is only loaded when a provider
 * of its type is configured (googleapis alone takes ~0.6 s); `typeof import()` keeps each
 * line type-checked against ProviderFactory.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const FACTORIES: Record<string, Partial<Record<Channel, () => ProviderModule>>> = {
  outbox: {
    sms: () => require('./sms/outbox') as typeof import('./sms/outbox'),
    email: () => require('./email/outbox') as typeof import('./email/outbox'),
  },
  twilio: { sms: () => require('./sms/twilio') as typeof import('./sms/twilio') },
  smtp: { email: () => require('./email/smtp') as typeof import('./email/smtp') },
  vonage: { sms: () => require('./sms/vonage') as typeof import('./sms/vonage') },
  africastalking: { sms: () => require('./sms/africastalking') as typeof import('./sms/africastalking') },
  infobip: { sms: () => require('./sms/infobip') as typeof import('./sms/infobip') },
  http: { sms: () => require('./sms/http') as typeof import('./sms/http') },
  gmail: { email: () => require('./email/gmail') as typeof import('./email/gmail') },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Every known provider type, sorted; with a channel, only the types that carry it. */
export function providerTypes(channel?: Channel): string[] {
  return Object.keys(FACTORIES)
    .filter((t) => !channel || FACTORIES[t][channel] !== undefined)
    .sort();
}

/** The channels a provider type carries ([] for an unknown type). */
export function providerChannels(type: string): Channel[] {
  const entry = Object.prototype.hasOwnProperty.call(FACTORIES, type) ? FACTORIES[type] : undefined;
  return entry ? (Object.keys(entry) as Channel[]) : [];
}

/** Builds one provider; throws a plain Error naming the instance for an unknown type or a wrong channel. */
export function createProvider(cfg: ProviderConfig, ctx: ProviderContext): Provider {
  const channels = providerChannels(cfg.type);
  if (channels.length === 0) {
    throw new Error(`provider '${cfg.id}': unknown type '${cfg.type}'; known types: ${providerTypes().join(', ')}`);
  }
  const load = FACTORIES[cfg.type][cfg.channel];
  if (!load) {
    throw new Error(`provider '${cfg.id}': type '${cfg.type}' carries ${channels.join(' and ')}, not ${cfg.channel}`);
  }
  const provider = load().create(cfg, ctx);
  if (provider.channel !== cfg.channel || provider.id !== cfg.id) {
    throw new Error(`provider '${cfg.id}': factory for '${cfg.type}' built ${provider.channel} provider '${provider.id}'`);
  }
  return provider;
}
