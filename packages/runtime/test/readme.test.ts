/**
 * The README's example must run as printed: extract it, run it in a child
 * process that imports '@node/runtime' by name, and check its output.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('README example', () => {
  it('runs and prints what it says', () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url))
    const readme = readFileSync(`${pkg}README.md`, 'utf8')
    const match = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)
    expect(match).not.toBeNull()
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
      expect(out.stdout).toMatch(/^stopped: stopped, stopped; late: 0$/m)
      expect(out.stdout).toMatch(/^stopped during start: stopped, start ended with ABORTED$/m)
    } finally {
      rmSync(file, { force: true })
    }
  })
})
