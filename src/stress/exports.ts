// The stress build's controls as `wasmxen stress` uses them (assembly/index.ts
// stressConfigure/stressSeed, assembly/stress/noise.ts). No new exports: the
// same functions, with the packed meaning of the noise word spelled out.
export interface StressExports {
  /**
   * rateWord: low 16 bits = a noise point delays with probability rate/65536;
   * high 16 bits = mask of the points 1..15 that may delay (0: all points).
   * spinWord: low 16 bits = random part of a delay (spin iterations), high
   * 16 bits = its minimum; yieldLog2: 1 delay in 2^n also
   * sleeps ~20 µs; inject: G_INJECT bits (assembly/stress/inject.ts).
   */
  stressConfigure(rateWord: number, spinWord: number, yieldLog2: number, inject: number): void;
  stressSeed(seed: number): void;
  /** 1 if this module is the stress build */
  isStressBuild(): number;
}
