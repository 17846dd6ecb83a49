// Credits: accounts, metering on the message path, live balances. See README "Credits".
export { createCreditAccounts, ensureDefaultAccount, entryView, type CreditAccounts, type CreditSummary, type LedgerEntryView } from './accounts';
export { balanceEvent, createBalanceWatch, type BalanceEvent, type BalanceWatch } from './balance-watch';
export { NO_METERING, createMetering, rejectForCredit, withCreditWarning, type Metering } from './metering';
export { createBalanceSignals, type BalanceSignals } from './signals';
