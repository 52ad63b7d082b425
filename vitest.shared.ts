// Shared Vitest settings for every package. The `@node/source` export
// condition makes imports of sibling packages resolve to their `src/`, so the
// tests run on the sources with nothing built.
import { defineProject } from 'vitest/config'

// Vite's default server conditions, with ours first.
export const sourceConditions = ['@node/source', 'module', 'node', 'development|production']

export function project(name: string) {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@node/source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 20_000,
    },
  })
}
