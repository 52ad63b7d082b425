/**
 * The README's example must run as printed: extract it, run it in a child
 * process that imports '@node/consensus' by name, and check its output.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('README example', () => {
  it('runs and prints what it says', () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url))
    const readme = readFileSync(`${pkg}README.md`, 'utf8')
    const match = /## Example[\s\S]*?```js\n([\s\S]*?)```[\s\S]*?It prints:\n\n```\n([\s\S]*?)```/.exec(
      readme,
    )
    expect(match).not.toBeNull()
    // Inside the package, so '@node/consensus' resolves to this package (self-reference).
    const file = `${pkg}test/.readme-example.mjs`
    writeFileSync(file, match![1]!)
    try {
      const out = spawnSync(process.execPath, ['--conditions=@node/source', '--import', 'tsx', file], {
        cwd: pkg,
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(out.stderr).toBe('')
      expect(out.status).toBe(0)
      expect(out.stdout).toBe(match![2]!)
    } finally {
      rmSync(file, { force: true })
    }
  })
})
