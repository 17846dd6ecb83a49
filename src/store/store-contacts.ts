// The storage contract of contact lists and their members (both stores;
// test/contract/store.contract.contacts.ts). Contacts themselves live in store-campaigns.ts.
import type { Contact } from '../domain/campaigns';
import type { ContactList } from '../domain/contact-lists';
import type { Page, PageQuery } from '../domain/types';

export type NewContactList = Omit<ContactList, 'createdAt' | 'updatedAt'>;

/**
 * Lists carry their workspace: one of another workspace is as absent as one that does not exist.
 * Members are keyed by (list, contact): adding one twice is one member. Deleting a list deletes
 * its memberships, never the contacts.
 */
export interface ContactListRepo {
  create(l: NewContactList): Promise<ContactList>;
  get(ws: string, id: string): Promise<ContactList | null>;
  list(ws: string, q: PageQuery): Promise<Page<ContactList>>;
  delete(ws: string, id: string): Promise<boolean>;
  /** Adds the contacts (ids of the workspace's contacts) not yet members; resolves how many were added. */
  addMembers(ws: string, listId: string, contactIds: string[]): Promise<number>;
  countMembers(ws: string, listId: string): Promise<number>;
  /** Keyset page of the list's member contacts by contact id, strictly after `afterContactId`. */
  membersAfter(ws: string, listId: string, afterContactId: string | undefined, limit: number): Promise<Contact[]>;
  /** The workspace's contacts by id; with `idPrefix`, only those whose id (the number's digits) starts with it. */
  searchContacts(ws: string, filter: { idPrefix?: string }, q: PageQuery): Promise<Page<Contact>>;
}
