// The emulated console: bytes the guest writes into a ring in its memory,
// carried by the console consumer's callback into a host-side ring that the
// shell drains into a Node stream.
//
// guest ring page: ┌ magic u32 ┬ prod u32 ┬ cons u32 ┬ … ┬ data [CONSOLE_DATA_BYTES] at 64 ┐
// state:           ┌ lock ┬ count ┬ entries {dom, port, ringGfn, flags} × 16 at 4 ┬ out write pos at 70 ┬ out read pos at 71 ┬ … ┬ out data at 512 bytes ┐

export const CONSOLE_MAGIC = 0x314e4f43; // "CON1"
export const C_RING_MAGIC = 0;
export const C_RING_PROD = 1;
export const C_RING_CONS = 2;
export const C_RING_DATA = 64;
export const CONSOLE_DATA_BYTES = 4096 - 64;

export const CS_OUT_W = 70;
export const CS_OUT_R = 71;
export const CS_OUT_DATA = 512;
export const CS_OUT_BYTES = 1 << 16;
export const CONSOLE_STATE_BYTES = CS_OUT_DATA + CS_OUT_BYTES;
