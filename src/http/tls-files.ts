/** The PEM certificate chain and key of --tls-cert/--tls-key, read at start and on SIGHUP. */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SidecarError } from '../errors/local.js';

export class TlsFiles {
  private readonly certPath: string;
  private readonly keyPath: string;

  constructor(certPath: string, keyPath: string) {
    this.certPath = certPath;
    this.keyPath = keyPath;
  }

  /** Both files, checked to be a PEM certificate and its key; throws `SidecarError` naming what is wrong. */
  read(): { cert: Buffer; key: Buffer } {
    const files = { cert: this.readOne(this.certPath, '--tls-cert'), key: this.readOne(this.keyPath, '--tls-key') };
    try {
      createSecureContext(files);
    } catch (error) {
      const why = (error as Error).message.replace(/^error:[0-9A-F]+:/, '');
      throw new SidecarError('CONFIG_INVALID', `options '--tls-cert' ${this.certPath} and '--tls-key' ${this.keyPath} are not a PEM certificate and its key: ${why}`, { cause: error });
    }
    return files;
  }

  private readOne(path: string, option: string): Buffer {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new SidecarError('CONFIG_INVALID', `option '${option}' ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
}
