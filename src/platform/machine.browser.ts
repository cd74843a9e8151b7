// What a bench report was measured on, in a browser (scripts/build.mjs puts
// this file in place of machine.ts): the fields a page can read, from
// navigator. What a page cannot read is said so, never guessed: the CPU model
// and OS release are 'unknown', memory and load average null, node and v8
// empty (the engine is `browser`; Chromium does not expose its V8 version).
// The commit is filled in by the page from the server's build info.
import type { MachineInfo } from '../bench/machine-info.ts';
import { engineName } from './host.browser.ts';

function platformOf(ua: string): string {
  if (/Windows/.test(ua)) return 'win32';
  if (/Mac OS X|Macintosh/.test(ua)) return 'darwin';
  if (/Android/.test(ua)) return 'android';
  if (/Linux|X11|CrOS/.test(ua)) return 'linux';
  return 'unknown';
}

function archOf(ua: string): string {
  if (/x86_64|x64|Win64|amd64/i.test(ua)) return 'x64';
  if (/aarch64|arm64/i.test(ua)) return 'arm64';
  return 'unknown';
}

export function machineInfo(): MachineInfo {
  const ua = self.navigator.userAgent;
  return {
    cores: self.navigator.hardwareConcurrency,
    cpu_model: 'unknown',
    memory_gib: null,
    platform: platformOf(ua),
    arch: archOf(ua),
    os_release: 'unknown',
    node: '',
    v8: '',
    wasm_flags: '',
    commit: 'unknown',
    date: new Date().toISOString(),
    load_average: null,
    browser: engineName(),
    user_agent: ua,
  };
}
