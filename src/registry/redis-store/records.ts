import { invalidOption, nameOption } from '../../internal/options.js';
import type { InstanceRecord } from '../service-instance.js';

/**
 * Validates a record we are about to announce and serialises it canonically
 * (fixed key order, metadata keys sorted), so equal records give equal JSON.
 */
export function serialiseRecord(record: InstanceRecord): string {
  // Callers in plain JavaScript get an option error, not a crash on `.id`.
  const value: unknown = record;
  if (typeof value !== 'object' || value === null) {
    invalidOption('record', `expected an object, got ${typeof value}`, TypeError);
  }
  nameOption('record.id', record.id);
  nameOption('record.name', record.name);
  nameOption('record.baseUrl', record.baseUrl);
  if (!isServiceUrl(record.baseUrl)) {
    invalidOption('record.baseUrl', 'expected an absolute http(s) URL without credentials');
  }
  if (record.healthPath !== undefined && typeof record.healthPath !== 'string') {
    invalidOption(
      'record.healthPath',
      `expected a string, got ${typeof record.healthPath}`,
      TypeError,
    );
  }
  const metadata = stringRecord(record.metadata);
  if (metadata === undefined) {
    invalidOption('record.metadata', 'expected an object of string values', TypeError);
  }
  return JSON.stringify(
    canonical(record.id, record.name, record.baseUrl, record.healthPath, metadata),
  );
}

/**
 * Reads a record another process stored under `id`; `undefined` when it is not
 * one (bad JSON, a missing or mistyped field, an id that does not match its
 * field, a base URL we would not call). Never throws.
 */
export function parseRecord(id: string, raw: string): InstanceRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id: ownId, name, baseUrl, healthPath, metadata = {} } = value as Record<string, unknown>;
  const strings = stringRecord(metadata);
  if (
    ownId !== id ||
    typeof name !== 'string' ||
    name === '' ||
    typeof baseUrl !== 'string' ||
    !isServiceUrl(baseUrl) ||
    (healthPath !== undefined && typeof healthPath !== 'string') ||
    strings === undefined
  ) {
    return undefined;
  }
  return canonical(id, name, baseUrl, healthPath, strings);
}

function canonical(
  id: string,
  name: string,
  baseUrl: string,
  healthPath: string | undefined,
  metadata: Readonly<Record<string, string>>,
): InstanceRecord {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(metadata).sort()) sorted[key] = metadata[key] as string;
  return Object.freeze({
    id,
    name,
    baseUrl,
    ...(healthPath === undefined ? {} : { healthPath }),
    metadata: Object.freeze(sorted),
  });
}

function stringRecord(value: unknown): Readonly<Record<string, string>> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.every(([, item]) => typeof item === 'string')
    ? (value as Record<string, string>)
    : undefined;
}

// The same rule as registration: tokens go to registered base URLs, so a
// record from Redis must not smuggle in credentials or another scheme.
function isServiceUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === ''
  );
}
