import { invalidOption } from '../internal/options.js';
import { normalizeBaseUrl } from './base-url.js';
import { healthPath, instanceRecord, serviceName } from './instance-record.js';
import type { InstanceRecord } from './service-instance.js';

/**
 * One service in a static config: its base URL(s), optionally with a health path.
 *
 * @example
 * import type { ServiceConfigEntry } from 'switchboard';
 * const billing: ServiceConfigEntry = { baseUrl: ['http://10.0.0.1', 'http://10.0.0.2'], healthPath: '/health' };
 */
export type ServiceConfigEntry =
  | string
  | readonly string[]
  | {
      readonly baseUrl: string | readonly string[];
      readonly healthPath?: string | undefined;
    };

/**
 * A static service map for `ServiceRegistry.fromConfig`: service name → base
 * URL, several base URLs (one instance each), or `{ baseUrl, healthPath }`.
 *
 * @example
 * import { ServiceRegistry, type ServiceConfig } from 'switchboard';
 * const services: ServiceConfig = { auth: 'http://127.0.0.1:8001/api/v1' };
 * const registry = ServiceRegistry.fromConfig(services);
 */
export type ServiceConfig = Readonly<Record<string, ServiceConfigEntry>>;

/** Validates a static config into records, all of them before any is registered. */
export function recordsFromConfig(config: ServiceConfig): InstanceRecord[] {
  if (typeof config !== 'object' || (config as unknown) === null || Array.isArray(config)) {
    invalidOption('config', 'expected an object of service name → base URL(s)', TypeError);
  }
  const records: InstanceRecord[] = [];
  for (const [key, entry] of Object.entries(config)) {
    const option = `config.${key}`;
    const name = serviceName(key, option);
    const spec = typeof entry === 'string' || isList(entry) ? { baseUrl: entry } : entry;
    if (typeof spec !== 'object' || (spec as unknown) === null) {
      invalidOption(
        option,
        'expected a base URL, a list of them, or { baseUrl, healthPath }',
        TypeError,
      );
    }
    const path = healthPath(spec.healthPath, `${option}.healthPath`);
    const urls = isList(spec.baseUrl) ? spec.baseUrl : [spec.baseUrl];
    if (urls.length === 0) invalidOption(option, 'expected at least one base URL');
    urls.forEach((url, index) => {
      const label = urls.length === 1 ? option : `${option}[${index}]`;
      const baseUrl = normalizeBaseUrl(url, label);
      records.push(instanceRecord({ name, baseUrl, healthPath: path }));
    });
  }
  return records;
}

// Array.isArray does not narrow a readonly array type.
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

const URL_KEY = /^SWITCHBOARD_SERVICE_([A-Z0-9_]+)_URL$/;
const HEALTH_KEY = /^SWITCHBOARD_SERVICE_[A-Z0-9_]+_HEALTH_PATH$/;

/**
 * Reads `SWITCHBOARD_SERVICE_<NAME>_URL` variables (comma-separated for
 * several instances) and their optional `SWITCHBOARD_SERVICE_<NAME>_HEALTH_PATH`.
 * `<NAME>` is upper case with `_`; the service name is it in lower case with
 * `-` (`USER_PROFILE` → `user-profile`). Keys are read in sorted order, so
 * instance order does not depend on the environment's.
 */
export function recordsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): InstanceRecord[] {
  if (typeof env !== 'object' || (env as unknown) === null) {
    invalidOption('env', 'expected an object of environment variables', TypeError);
  }
  const records: InstanceRecord[] = [];
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    const healthKey = key.replace(/_URL$/, '_HEALTH_PATH');
    const match = URL_KEY.exec(key);
    if (HEALTH_KEY.test(key) && env[key.replace(/_HEALTH_PATH$/, '_URL')] === undefined) {
      // A health path for no service is a typo somewhere: say so instead of ignoring it.
      invalidOption(key, `is set but ${key.replace(/_HEALTH_PATH$/, '_URL')} is not`);
    }
    if (match?.[1] === undefined || value === undefined) continue;
    const name = serviceName(match[1].toLowerCase().replaceAll('_', '-'), key);
    const path = healthPath(env[healthKey] === '' ? undefined : env[healthKey], healthKey);
    const urls = value
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
    if (urls.length === 0)
      invalidOption(key, 'is empty; expected one or more comma-separated base URLs');
    for (const url of urls) {
      records.push(instanceRecord({ name, baseUrl: normalizeBaseUrl(url, key), healthPath: path }));
    }
  }
  return records;
}
