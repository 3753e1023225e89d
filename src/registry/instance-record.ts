import { randomUUID } from 'node:crypto';
import { invalidOption, nameOption } from '../internal/options.js';
import { normalizeBaseUrl } from './base-url.js';
import type { InstanceRecord, InstanceRegistration } from './service-instance.js';

// Letters, digits and `-_.`: safe in metric labels, env variable names and Redis keys.
const SERVICE_NAME = /^[a-z0-9._-]+$/i;

/** Checks a service name (`option` names the field in the error). */
export function serviceName(value: unknown, option = 'name'): string {
  const name = nameOption(option, value);
  if (!SERVICE_NAME.test(name)) {
    invalidOption(option, `expected letters, digits, "-", "_" or ".", got ${JSON.stringify(name)}`);
  }
  return name;
}

/** Checks a health path: absolute path under the base URL, e.g. `/health`. */
export function healthPath(value: unknown, option = 'healthPath'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/')) {
    invalidOption(option, `expected a path starting with "/", got ${describe(value)}`, TypeError);
  }
  return value;
}

/**
 * Validates a registration (or a record from a store) and returns the frozen
 * record the registry keeps. Mistakes in the fields are programming errors
 * (`TypeError`/`RangeError` naming the field); a bad URL is an
 * {@link InvalidUrlError}, like every URL the library refuses.
 */
export function instanceRecord(registration: InstanceRegistration): InstanceRecord {
  if (typeof registration !== 'object' || (registration as unknown) === null) {
    invalidOption('registration', `expected an object, got ${describe(registration)}`, TypeError);
  }
  const name = serviceName(registration.name);
  const baseUrl = normalizeBaseUrl(registration.baseUrl);
  const path = healthPath(registration.healthPath);
  const id =
    registration.id === undefined ? `${name}-${randomUUID()}` : nameOption('id', registration.id);
  return Object.freeze({
    id,
    name,
    baseUrl,
    ...(path === undefined ? {} : { healthPath: path }),
    metadata: metadataOf(registration.metadata),
  });
}

function metadataOf(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalidOption('metadata', `expected an object of strings, got ${describe(value)}`, TypeError);
  }
  const copy: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      invalidOption(`metadata.${key}`, `expected a string, got ${describe(entry)}`, TypeError);
    }
    copy[key] = entry;
  }
  return Object.freeze(copy);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
