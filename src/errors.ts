// Typed errors of the library. Messages say what was wrong and what to do.

/** A configuration that can not be laid out or run. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The V8 this process runs on miscompiles the data plane (see design §4). */
export class RuntimeCheckError extends Error {
  override name = 'RuntimeCheckError';
}
