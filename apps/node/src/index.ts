/** The daemon's library surface: work in progress. */
export const PACKAGE = '@node/daemon'
