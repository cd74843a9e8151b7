// Canary for V8's baseline-compiler bug on Node 20: wasm locals live across
// memory.atomic.wait32 are corrupted under Liftoff (fixed in Node 22). The
// loop keeps locals of every type live across waits that return at once
// ("not-equal" and "timed-out"); the loader refuses to run if the result
// differs from the value computed here by hand (CANARY_EXPECT).

export const CANARY_ROUNDS = 8;

export function waitCanary(addr: usize): i32 {
  atomic.store<i32>(addr, 7);
  let sum: i32 = 0;
  let wide: i64 = 0x123456789;
  let real: f64 = 0.5;
  let ptr = addr;
  for (let i = 0; i < CANARY_ROUNDS; i++) {
    let r1 = atomic.wait<i32>(ptr, 8, 0);   // not-equal → 1
    let r2 = atomic.wait<i32>(ptr, 7, 0);   // equal, zero timeout → 2
    sum += r1 * 10 + r2 + i;
    wide += <i64>(i + 1);
    real += 1.0;
    ptr = ptr + 0;
  }
  return sum + <i32>(wide - 0x123456789) + <i32>real + <i32>(ptr - addr);
}
