/**
 * The README's example must run as printed: extract it, run it in a child
 * process that imports '@node/addrmgr' by name, and check its output.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('README example', () => {
  it('runs and prints what it says', () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url))
    const readme = readFileSync(`${pkg}README.md`, 'utf8')
    const match = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)
    expect(match).not.toBeNull()
    // Inside the package, so '@node/addrmgr' resolves to this package (self-reference).
    const file = `${pkg}test/.readme-example.mjs`
    writeFileSync(file, match![1]!)
    // The example makes its data directory under the temporary directory; give it one we remove.
    const tmp = mkdtempSync(join(tmpdir(), 'addrmgr-readme-'))
    try {
      const out = spawnSync(process.execPath, ['--conditions=@node/source', '--import', 'tsx', file], {
        cwd: pkg,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, TMPDIR: tmp },
      })
      expect(out.stderr).toBe('')
      expect(out.status).toBe(0)
      expect(out.stdout).toMatch(/^added 3; new 3, tried 0$/m)
      expect(out.stdout).toMatch(/^connect to \S+:8333$/m)
      expect(out.stdout).toMatch(/^tried now: true$/m)
      expect(out.stdout).toMatch(/^getaddr answer: \[/m)
      expect(out.stdout).toMatch(/^saved to .*peers\.dat$/m)
    } finally {
      rmSync(file, { force: true })
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})
