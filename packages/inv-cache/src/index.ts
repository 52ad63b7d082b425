/** @node/inv-cache: work in progress. */
export const PACKAGE = '@node/inv-cache'
