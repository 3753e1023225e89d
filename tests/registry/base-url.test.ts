import { describe, expect, it } from 'vitest';
import { InvalidUrlError, isSwitchboardError } from 'switchboard';
import { registry, thrownBy } from './helpers.js';

describe('ServiceRegistry: base URL validation', () => {
  it.each([
    ['http://127.0.0.1:8001/api/v1/', 'http://127.0.0.1:8001/api/v1'],
    ['HTTP://Example.COM:80/', 'http://example.com'],
    ['https://example.com:443/a//', 'https://example.com/a'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['  http://[::1]:8001/x  ', 'http://[::1]:8001/x'],
  ])('normalises %j to %j', (input, expected) => {
    expect(registry().register({ name: 'auth', baseUrl: input }).baseUrl).toBe(expected);
  });

  it.each([
    ['', 'is not an absolute URL'],
    ['/api/v1', 'is not an absolute URL'],
    ['http://exa mple.com', 'is not an absolute URL'],
    ['localhost:8001', 'must use http: or https:, got localhost:'],
    ['ftp://example.com', 'must use http: or https:, got ftp:'],
    ['file:///etc/passwd', 'must use http: or https:, got file:'],
    ['ws://example.com', 'must use http: or https:, got ws:'],
    ['javascript:alert(1)', 'must use http: or https:, got javascript:'],
    ['http://user:secret@example.com', 'must not contain credentials'],
    ['http://secret@example.com', 'must not contain credentials'],
    ['http://:secret@example.com', 'must not contain credentials'],
    ['http://example.com/api?token=secret', 'must not have a query string'],
    ['http://example.com/api?', 'must not have a query string'],
    ['http://example.com/api#secret', 'must not have a fragment'],
    ['http://example.com/api#', 'must not have a fragment'],
    ['http://user:sec/ret@exa mple.com', 'is not an absolute URL'],
    ['http://exa mple.com/?key=secret', 'is not an absolute URL'],
  ])('refuses %j: %s, without echoing secrets', (baseUrl, problem) => {
    const error = thrownBy(() => registry().register({ name: 'auth', baseUrl }));
    expect(error).toBeInstanceOf(InvalidUrlError);
    if (!isSwitchboardError(error, 'INVALID_URL')) throw new Error('expected INVALID_URL');
    expect(error.message).toContain(problem);
    expect(error.message).toMatch(/^baseUrl /);
    expect(error.message).not.toMatch(/secret|sec\/ret/);
    expect(error.isClientError).toBe(true);
  });

  it('shows the URL it refuses without credentials or query', () => {
    const error = thrownBy(() =>
      registry().register({ name: 'auth', baseUrl: 'http://u:secret@example.com:81/api' }),
    );
    expect((error as Error).message).toBe(
      'baseUrl http://example.com:81/api must not contain credentials; pass a token per call instead',
    );
  });

  it('refuses a base URL that is not a string', () => {
    const error = thrownBy(() =>
      registry().register({ name: 'auth', baseUrl: 8001 as unknown as string }),
    );
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect((error as Error).message).toBe('baseUrl must be a string, got number');
  });
});
