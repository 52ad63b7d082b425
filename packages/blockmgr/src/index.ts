/** @node/blockmgr: work in progress. */
export const PACKAGE = '@node/blockmgr'
