import { defineConfig } from 'vitest/config';

// race tests scale their iteration counts (and deadlines) with this
const scale = Math.max(1, Number(process.env.WASMXEN_STRESS_SCALE ?? '1') || 1);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Node 20: Liftoff miscompiles wasm atomic waits (design §4); the loader
    // also sets the flag, this makes every test process safe from the start.
    execArgv: ['--no-liftoff'],
    testTimeout: 60_000 * scale,
    hookTimeout: 120_000,
    // two cores: race tests need both, so files run one at a time
    fileParallelism: false,
  },
});
