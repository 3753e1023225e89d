// Replaced at build time (tsup and vitest `define`); 'dev' when run from source otherwise.
declare const __SWITCHBOARD_VERSION__: string | undefined;

/** This package's version, as sent in `user-agent: switchboard/<version>`. */
export const VERSION: string =
  typeof __SWITCHBOARD_VERSION__ === 'string' ? __SWITCHBOARD_VERSION__ : 'dev';
