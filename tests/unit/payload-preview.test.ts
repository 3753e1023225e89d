import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREVIEW_CHARS, payloadPreview } from '../../src/events/payload-preview.js';

const SECRET = 'CANARY-s3cr3t';

describe('payloadPreview', () => {
  it.each([
    `{"password":"${SECRET}","user":"ada"}`,
    `{"data":{"apiKey":"${SECRET}","x-api-key":"${SECRET}","client_secret":"${SECRET}"}}`,
    `{"headers":{"Authorization":"Bearer ${SECRET}","Cookie":"sid=${SECRET}"}}`,
    `{"accessToken":"${SECRET}` + 'x'.repeat(2_000), // cut off before its closing quote
    `not json at all: Authorization: Bearer ${SECRET} trailing`,
    `{"url":"redis://default:${SECRET}@127.0.0.1:6379/0"}`,
    `{"url":"https://api.example/cb?code=${SECRET}&state=1&access_token=${SECRET}"}`,
    `{"jwt":"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.${SECRET}"}`,
    `{"pass\\"word":"x","session_id":"${SECRET}"}`,
  ])('redacts secrets in %s', (payload) => {
    const preview = payloadPreview(payload);
    expect(preview).not.toContain(SECRET);
    expect(preview).toContain('[redacted]');
  });

  it('keeps what is not a secret, and says how long the payload was when cut', () => {
    expect(payloadPreview('{"type":"user.login","userId":7}')).toBe(
      '{"type":"user.login","userId":7}',
    );
    const long = `{"note":"${'n'.repeat(5_000)}"}`;
    expect(payloadPreview(long)).toBe(
      `${long.slice(0, PREVIEW_CHARS)}… (${long.length} characters)`,
    );
  });

  it('escapes control characters and lone surrogates: one printable line', () => {
    expect(payloadPreview('a\nb\r\u0000c\u2028d\ud800e')).toBe(
      'a\\u000ab\\u000d\\u0000c\\u2028d\\ud800e',
    );
    expect(payloadPreview('ok 😀')).toBe('ok 😀');
  });

  it('is bounded and well-formed for any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3_000 }), (payload) => {
        const preview = payloadPreview(payload);
        expect(preview.length).toBeLessThanOrEqual(PREVIEW_CHARS + 40);
        const codes = Array.from({ length: preview.length }, (_, i) => preview.charCodeAt(i));
        expect(codes.filter((code) => code < 0x20)).toEqual([]);
        expect((preview as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
