// What a bench report was measured on, Node side (src/bench/machine-info.ts);
// the browser bundle swaps in machine.browser.ts (navigator's fields).
export { machineInfo } from '../bench/machine-info.ts';
