export function checkWasm(bytes: Uint8Array): string[];
