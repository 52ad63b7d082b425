/**
 * The error a block that breaks a UTXO-dependent consensus rule throws from
 * {@link connectBlock}: Core's `BlockValidationState::Invalid` with
 * `BlockValidationResult::BLOCK_CONSENSUS` (src/validation.cpp,
 * `Chainstate::ConnectBlock`). `reason` is Core's reject reason
 * (`bad-txns-inputs-missingorspent`, `bad-cb-amount`,
 * `block-script-verify-flag-failed (…)`, …). Severity `discourage`: Core's
 * `MaybePunishNodeForBlock` discourages the peer that sent a
 * consensus-invalid block. Same fields as blockmgr's `ValidationError`
 * (name, code, severity, message, reason).
 */
import { ProtocolError, type Severity } from '@node/wire'

export class BlockConsensusError extends ProtocolError {
  /** Core's reject reason. */
  readonly reason: string
  /** Index in the block of the transaction that broke the rule, when one did. */
  readonly tx: number | undefined
  /** The failing input of that transaction, when known. */
  readonly input: number | undefined

  constructor(
    reason: string,
    message: string,
    where: { tx?: number | undefined; input?: number | undefined; cause?: unknown } = {},
    severity: Severity = 'discourage',
  ) {
    super(
      'BLOCK_CONSENSUS',
      severity,
      message,
      where.cause === undefined ? undefined : { cause: where.cause },
    )
    this.name = 'BlockConsensusError'
    this.reason = reason
    this.tx = where.tx
    this.input = where.input
  }
}
