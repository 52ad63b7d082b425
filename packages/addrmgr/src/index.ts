/** @node/addrmgr: work in progress. */
export const PACKAGE = '@node/addrmgr'
