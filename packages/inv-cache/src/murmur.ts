/**
 * MurmurHash3 (x86, 32-bit), the hash Bitcoin Core's bloom filters use
 * (src/hash.cpp). Two entry points: any bytes, and an inventory item
 * (4-byte little-endian type ‖ 32-byte hash) without building the buffer.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK(k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

function mixH(h: number, k: number): number {
  h ^= mixK(k)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function fmix(h: number, len: number): number {
  h ^= len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** MurmurHash3_x86_32 of `data` with `seed`, as an unsigned 32-bit number. */
export function murmur3(seed: number, data: Uint8Array): number {
  let h = seed | 0
  const len = data.length
  const blocks = len & ~3
  let i = 0
  for (; i < blocks; i += 4) {
    h = mixH(h, data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
  }
  const tail = len & 3
  if (tail > 0) {
    let k = 0
    if (tail === 3) k ^= data[i + 2]! << 16
    if (tail >= 2) k ^= data[i + 1]! << 8
    k ^= data[i]!
    h ^= mixK(k)
  }
  return fmix(h, len)
}

/**
 * MurmurHash3_x86_32 of `LE32(type) ‖ hash` for a 32-byte hash: the same
 * value as `murmur3(seed, bytes)` on the 36 concatenated bytes.
 */
export function murmur3Inv(seed: number, type: number, hash: Uint8Array): number {
  let h = mixH(seed | 0, type | 0)
  for (let i = 0; i < 32; i += 4) {
    h = mixH(h, hash[i]! | (hash[i + 1]! << 8) | (hash[i + 2]! << 16) | (hash[i + 3]! << 24))
  }
  return fmix(h, 36)
}
