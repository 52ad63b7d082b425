/** @node/peer: work in progress. */
export const PACKAGE = '@node/peer'
