// Provider names a campaign, an import or `herald send-scheduled` may give: an instance id, or a
// vendor type (first instance of it), with the older vendor names as aliases.

/** Older vendor names people still type. */
export const PROVIDER_ALIASES: Readonly<Record<string, string>> = { nexmo: 'vonage', at: 'africastalking', "africa's talking": 'africastalking' };

export interface ProviderRef {
  id: string;
  type: string;
}

/** The provider instance id `name` stands for among `providers`, or undefined when none matches. */
export function resolveProviderName(name: string, providers: readonly ProviderRef[]): string | undefined {
  const wanted = name.trim().toLowerCase();
  const byId = providers.find((p) => p.id.toLowerCase() === wanted);
  if (byId) return byId.id;
  const type = PROVIDER_ALIASES[wanted] ?? wanted;
  return providers.find((p) => p.type.toLowerCase() === type || p.id.toLowerCase() === type)?.id;
}
