export const PACKAGE = '@node/testkit'
