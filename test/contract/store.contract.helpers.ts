// Shared pieces of the store contract suite.
import type { Store } from '../../src/store/store';

export type StoreRef = () => Store;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
