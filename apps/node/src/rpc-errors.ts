/**
 * Bitcoin Core's JSON-RPC error codes (src/rpc/protocol.h) and the error an
 * RPC handler throws to return one.
 *
 * A handler that throws an {@link RpcError} sends that code and message. Any
 * other exception becomes `RPC_MISC_ERROR` (-1) with the exception's message,
 * as Core's `CRPCTable::execute` does with `std::exception`.
 */

export const RpcErrorCode = {
  // Standard JSON-RPC 2.0 errors. RPC_INVALID_REQUEST is internally mapped to HTTP 400;
  // RPC_METHOD_NOT_FOUND to HTTP 404; all others to HTTP 500 (JSON-RPC 1.0 single requests only).
  RPC_INVALID_REQUEST: -32600,
  RPC_METHOD_NOT_FOUND: -32601,
  RPC_INVALID_PARAMS: -32602,
  RPC_INTERNAL_ERROR: -32603,
  RPC_PARSE_ERROR: -32700,

  // General application defined errors
  /** std::exception thrown in command handling */
  RPC_MISC_ERROR: -1,
  /** Unexpected type was passed as parameter */
  RPC_TYPE_ERROR: -3,
  /** Invalid address or key */
  RPC_INVALID_ADDRESS_OR_KEY: -5,
  /** Ran out of memory during operation */
  RPC_OUT_OF_MEMORY: -7,
  /** Invalid, missing or duplicate parameter */
  RPC_INVALID_PARAMETER: -8,
  /** Database error */
  RPC_DATABASE_ERROR: -20,
  /** Error parsing or validating structure in raw format */
  RPC_DESERIALIZATION_ERROR: -22,
  /** General error during transaction or block submission */
  RPC_VERIFY_ERROR: -25,
  /** Transaction or block was rejected by network rules */
  RPC_VERIFY_REJECTED: -26,
  /** Transaction already in chain */
  RPC_VERIFY_ALREADY_IN_CHAIN: -27,
  /** Client still warming up */
  RPC_IN_WARMUP: -28,
  /** RPC method is deprecated */
  RPC_METHOD_DEPRECATED: -32,

  // P2P client errors
  /** Bitcoin is not connected */
  RPC_CLIENT_NOT_CONNECTED: -9,
  /** Still downloading initial blocks */
  RPC_CLIENT_IN_INITIAL_DOWNLOAD: -10,
  /** Node is already added */
  RPC_CLIENT_NODE_ALREADY_ADDED: -23,
  /** Node has not been added before */
  RPC_CLIENT_NODE_NOT_ADDED: -24,
  /** Node to disconnect not found in connected nodes */
  RPC_CLIENT_NODE_NOT_CONNECTED: -29,
  /** Invalid IP/Subnet */
  RPC_CLIENT_INVALID_IP_OR_SUBNET: -30,
  /** No valid connection manager instance found */
  RPC_CLIENT_P2P_DISABLED: -31,
  /** Max number of outbound or block-relay connections already open */
  RPC_CLIENT_NODE_CAPACITY_REACHED: -34,
  /** No mempool instance found */
  RPC_CLIENT_MEMPOOL_DISABLED: -33,
} as const

export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

/** An error a handler throws to answer with a specific Core error code. */
export class RpcError extends Error {
  readonly rpcCode: number
  constructor(rpcCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RpcError'
    this.rpcCode = rpcCode
  }
}

/** True for an {@link RpcError}, matched by shape. */
export function isRpcError(err: unknown): err is RpcError {
  return err instanceof Error && typeof (err as { rpcCode?: unknown }).rpcCode === 'number'
}

/** The `{ code, message }` object Core puts in a reply's `error` field. */
export interface RpcErrorObject {
  code: number
  message: string
}

/** Turn anything thrown by a handler into Core's error object. */
export function toRpcErrorObject(err: unknown): RpcErrorObject {
  if (isRpcError(err)) return { code: err.rpcCode, message: err.message }
  if (err instanceof Error) return { code: RpcErrorCode.RPC_MISC_ERROR, message: err.message }
  return { code: RpcErrorCode.RPC_MISC_ERROR, message: String(err) }
}

/**
 * The HTTP status Core gives a failed JSON-RPC 1.0 single request
 * (httprpc.cpp `JSONErrorReply`): 400 for an invalid request, 404 for an
 * unknown method, 500 for everything else. JSON-RPC 2.0 requests and batches
 * always get 200.
 */
export function httpStatusForRpcError(code: number): number {
  if (code === RpcErrorCode.RPC_INVALID_REQUEST) return 400
  if (code === RpcErrorCode.RPC_METHOD_NOT_FOUND) return 404
  return 500
}
