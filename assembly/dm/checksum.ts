// End-to-end data checks shared by the guest and the device model: one
// checksum function, and the sector pattern the guest writes and verifies.
//
// Checksum: Fletcher-style over little-endian u32 words (a += w; b += a,
// modulo 2^32), so it depends on every word and its position; trailing bytes
// are folded in one by one. Fast enough to run on every transfer.
//
// Sector pattern: word j of sector s at version v is mix(s, v, j); version 0
// is the never-written sector (all zeros, as a fresh disk).

export function checksum(addr: usize, len: u32): u32 {
  let a: u32 = 1;
  let b: u32 = 0;
  let words = len >>> 2;
  let p = addr;
  let i: u32 = 0;
  for (; i + 4 <= words; i += 4) {
    a += load<u32>(p); b += a;
    a += load<u32>(p, 4); b += a;
    a += load<u32>(p, 8); b += a;
    a += load<u32>(p, 12); b += a;
    p += 16;
  }
  for (; i < words; i++) { a += load<u32>(p); b += a; p += 4; }
  for (let t = words << 2; t < len; t++) { a += <u32>load<u8>(addr + t); b += a; }
  return ((b << 16) | (b >>> 16)) ^ a ^ len;
}

@inline export function patternWord(sector: u32, version: u32, j: u32): u32 {
  if (version == 0) return 0;
  let x = (sector * 0x9e3779b1) ^ (version * 0x85ebca77) ^ (j * 0xc2b2ae3d);
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

/** Fill `sectors` sectors at `addr` with the pattern of sectors lba.. at `version`. */
export function fillPattern(addr: usize, sectors: u32, lba: u32, version: u32): void {
  for (let k: u32 = 0; k < sectors; k++) {
    let p = addr + (<usize>k << 9);
    let s = lba + k;
    for (let j: u32 = 0; j < 128; j++) store<u32>(p + (<usize>j << 2), patternWord(s, version, j));
  }
}

/** True if the sector at `addr` holds the pattern of sector `s` at `version`. */
export function sectorMatches(addr: usize, s: u32, version: u32): bool {
  for (let j: u32 = 0; j < 128; j++) {
    if (load<u32>(addr + (<usize>j << 2)) != patternWord(s, version, j)) return false;
  }
  return true;
}
