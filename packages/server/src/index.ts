/** @node/server: work in progress. */
export const PACKAGE = '@node/server'
