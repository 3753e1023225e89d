import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchboardError } from '../errors.js';

/** Files of a throwaway certificate authority and one server certificate, for tests. */
export type TestCertificates = {
  /** The CA certificate (PEM): what a client passes as `tls.ca` to trust the server. */
  readonly ca: string;
  readonly caFile: string;
  /** The server certificate, valid for `127.0.0.1`, `::1` and `localhost`. */
  readonly certFile: string;
  readonly keyFile: string;
};

/** `openssl` is missing or failed; the message says which step. */
export class TestCertificateError extends SwitchboardError {
  override readonly name = 'TestCertificateError';
  override readonly code = 'TEST_CERTIFICATE';
}

const SERVER_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
].join('\n');

/**
 * Makes a self-signed CA and a server certificate it signed, with `openssl`,
 * in `dir` (P-256 keys, valid for a day): nothing is cached or shared
 * between tests, and no private key leaves the directory.
 *
 * @throws {@link TestCertificateError} when `openssl` is missing or fails.
 */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string): string => join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('create the test CA', [
    'req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1',
    '-subj', '/CN=switchboard test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  await openssl('create the server key', [
    'req', ...key, '-keyout', file('server.key'), '-out', file('server.csr'),
    '-subj', '/CN=127.0.0.1',
  ]); // prettier-ignore
  await writeFile(file('server.ext'), `${SERVER_EXTENSIONS}\n`);
  await openssl('sign the server certificate', [
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('server.ext'),
  ]); // prettier-ignore
  return {
    ca: await readFile(file('ca.crt'), 'utf8'),
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
  };
}

function openssl(step: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
        return;
      }
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new TestCertificateError(
          missing
            ? 'TLS tests need `openssl` on PATH (Debian/Ubuntu: `apt-get install -y openssl`)'
            : `openssl could not ${step}: ${stderr.trim().slice(-500)}`,
          { cause: error },
        ),
      );
    });
  });
}
