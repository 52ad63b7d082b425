/**
 * A test process that starts a bcoin node and then dies without stopping it.
 * argv[2]: 'exit' calls process.exit(1); 'hang' waits to be killed with SIGKILL.
 * Prints one line with the bcoin pid.
 */
import { startBcoin } from '../../src/bcoin.ts'

const node = await startBcoin()
process.stdout.write(`${JSON.stringify({ pid: node.pid })}\n`)
if (process.argv[2] === 'exit') process.exit(1)
setInterval(() => {}, 60_000)
