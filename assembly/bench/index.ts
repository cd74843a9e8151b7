// Benchmark loops batched in wasm (issue: wasmxen bench). Filled by that work.
