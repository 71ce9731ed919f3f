/** The PEM certificate chain and key of --tls-cert/--tls-key, read at start and on SIGHUP. */
import { readFileSync } from 'node:fs';
import { SidecarError } from '../errors/local.js';

export class TlsFiles {
  private readonly certPath: string;
  private readonly keyPath: string;

  constructor(certPath: string, keyPath: string) {
    this.certPath = certPath;
    this.keyPath = keyPath;
  }

  /** Both files; throws `SidecarError` naming the one that cannot be read. */
  read(): { cert: Buffer; key: Buffer } {
    return { cert: this.readOne(this.certPath, '--tls-cert'), key: this.readOne(this.keyPath, '--tls-key') };
  }

  private readOne(path: string, option: string): Buffer {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new SidecarError('CONFIG_INVALID', `option '${option}' ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
}
