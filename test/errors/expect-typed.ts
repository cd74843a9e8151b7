// One assertion for every typed-error test: the class, its stable code, and
// a message that says what was wrong (and, where given, what to do).
import { expect } from 'vitest';
import { WasmxenError } from '../../src/errors.ts';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** `err` is a WasmxenError of class `cls` with `code`, and its message matches every pattern. */
export function expectTyped<E extends WasmxenError>(err: unknown, cls: ErrorClass<E>, code: string, ...message: RegExp[]): E {
  expect(err).toBeInstanceOf(cls);
  expect(err).toBeInstanceOf(WasmxenError);
  const e = err as E;
  expect(e.code).toBe(code);
  expect(e.name).toBe(cls.name);
  for (const m of message) expect(e.message).toMatch(m);
  return e;
}

/** What `fn` threw (synchronously), or a failure if it returned. */
export function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  throw new Error('expected a throw; it returned');
}

/** What `p` rejected with, or a failure if it resolved. */
export async function rejected(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected a rejection; it resolved');
}
