// The start-up summary printed to a terminal by `npm start` and `herald server|worker`.

/** Where everything is, before the log lines start. */
export function printBanner(s: { role: string; url?: string; store: string; bus: string; providers: string[]; senderThreads?: number; outbox?: string }): void {
  const lines = [
    `Herald (${s.role}) is running`,
    s.url ? `  API         ${s.url}/v1` : undefined,
    s.url ? `  docs        ${s.url}/docs` : undefined,
    s.url ? `  dashboard   ${s.url}/` : undefined,
    `  store       ${s.store}`,
    `  queue       ${s.bus}`,
    `  providers   ${s.providers.join(', ') || '(none in this process)'}`,
    s.senderThreads ? `  senders     ${s.senderThreads} thread${s.senderThreads > 1 ? 's' : ''} (worker.senderThreads)` : undefined,
    s.outbox ? `  outbox      ${s.outbox}  (herald outbox --follow)` : undefined,
    `  stop        Ctrl+C (or SIGTERM): finishes what is in hand, then exits`,
    '',
  ].filter((l) => l !== undefined);
  process.stdout.write(lines.join('\n') + '\n');
}
