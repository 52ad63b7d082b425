// Shared Vitest settings for every package. The `@node/source` export
// condition makes imports of sibling packages resolve to their `src/`, so the
// tests run on the sources with nothing built.
import { defaultServerConditions } from 'vite'
import { defineProject } from 'vitest/config'

export const sourceConditions = ['@node/source', ...defaultServerConditions]

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
