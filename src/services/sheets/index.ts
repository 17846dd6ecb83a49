// Google Sheets export: targets, the feed into the `sheets` queue, and the exporter.
export { createSheetTargets, type SheetTargets, type TargetView, type NewTarget } from './targets';
export { createOutcomeFeed, createSheetsFeed, outcomeBody, parseSheetOutcome, sheetEventBody, parseSheetEvent, type SheetsFeed, type SheetEvent } from './feed';
export { createSheetsExporter, type SheetsExporter, type SheetsExporterDeps } from './exporter';
export { createSheetsApi, readServiceAccountKey, SheetsError, type SheetsApi } from './google-sheets';
