// Contact lists: a named set of a workspace's contacts, the audience of a campaign by contactListId.
export interface ContactList {
  workspaceId: string;
  /** Generated (globally unique). */
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}
