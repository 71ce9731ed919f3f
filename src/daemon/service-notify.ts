/**
 * Tells the service manager that runs the daemon where it is in its lifecycle, driven by
 * Lifecycle.onChange:
 *   - systemd (NOTIFY_SOCKET set): READY=1 once listening, STOPPING=1 on draining, and a STATUS=
 *     line on every phase (`systemctl status` shows it);
 *   - PM2, or any parent with an IPC channel: process.send('ready') once listening (wait_ready).
 *
 * Node has no unix datagram sockets and a native addon is not acceptable, so systemd is told
 * through the systemd-notify binary. It is not the main PID, so the unit needs NotifyAccess=all.
 * Since systemd 246 systemd-notify follows its message with BARRIER=1 and waits until PID 1 has
 * processed both, so the message cannot be dropped because its sender exited before PID 1 looked
 * up its cgroup (systemd 252 has no --exec). Each message waits for the previous one: STOPPING=1
 * never overtakes READY=1.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import type { Logger } from '../observability/logger.js';
import type { Lifecycle, Phase } from './lifecycle.js';

/** systemd-notify waits up to 5 s for its barrier itself; this only bounds a wedged helper. */
const NOTIFY_TIMEOUT_MS = 7000;

/** What systemd hears on entering each phase ('starting' and 'stopped' say nothing). */
const SYSTEMD_MESSAGES: Partial<Record<Phase, readonly string[]>> = {
  ready: ['READY=1', 'STATUS=Listening; accepting sessions'],
  draining: ['STOPPING=1', 'STATUS=Draining: no new sessions; in-flight requests may finish'],
  stopping: ['STATUS=Stopping children down the stop ladder'],
};

export interface ServiceNotifierOptions {
  logger: Logger;
  /** The socket systemd named in NOTIFY_SOCKET; undefined when systemd is not listening. */
  notifySocket: string | undefined;
  /** The IPC channel to the parent (PM2); undefined when there is none. */
  sendToParent: ((message: string, callback: (error: Error | null) => void) => boolean) | undefined;
  /** The systemd-notify program, looked up on PATH unless a path is given. */
  notifyProgram?: string;
}

export class ServiceNotifier {
  private readonly logger: Logger;
  private readonly notifySocket: string | undefined;
  private readonly sendToParent: ServiceNotifierOptions['sendToParent'];
  private readonly notifyProgram: string;
  /** Every notification runs after the one before; settled() waits for the last. */
  private queue: Promise<void> = Promise.resolve();
  private systemdDisabled = false;

  constructor(options: ServiceNotifierOptions) {
    this.logger = options.logger;
    this.notifySocket = options.notifySocket;
    this.sendToParent = options.sendToParent;
    this.notifyProgram = options.notifyProgram ?? 'systemd-notify';
  }

  /**
   * Reads NOTIFY_SOCKET and removes it from process.env, as sd_notify's unset_environment does:
   * children started later must not inherit it (with NotifyAccess=all, systemd would believe
   * them). Call it before anything copies the environment for children.
   */
  static fromEnvironment(logger: Logger): ServiceNotifier {
    const notifySocket = process.env.NOTIFY_SOCKET || undefined;
    delete process.env.NOTIFY_SOCKET;
    const sendToParent = process.send && process.connected ? process.send.bind(process) : undefined;
    return new ServiceNotifier({ logger, notifySocket, sendToParent });
  }

  /** Notifies on every phase `lifecycle` enters from now on. */
  attach(lifecycle: Lifecycle): void {
    lifecycle.onChange((phase) => this.notify(phase));
  }

  /** Resolves once every notification asked for so far was delivered or given up on. */
  settled(): Promise<void> {
    return this.queue;
  }

  private notify(phase: Phase): void {
    const messages = this.notifySocket && !this.systemdDisabled ? SYSTEMD_MESSAGES[phase] : undefined;
    const tellParent = phase === 'ready' && this.sendToParent !== undefined;
    if (!messages && !tellParent) return;
    this.queue = this.queue.then(async () => {
      // 'ready' is entered just before the "listening" line is logged: let that line reach stderr
      // first, so whoever waits for READY finds the address in the log.
      if (phase === 'ready') await this.flushLog();
      if (messages && !this.systemdDisabled) await this.notifySystemd(messages);
      if (tellParent) await this.notifyParent();
    });
  }

  private flushLog(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        try {
          this.logger.flush(() => resolve());
        } catch {
          resolve(); // A destination without flush: nothing is buffered to wait for.
        }
      });
    });
  }

  private notifySystemd(messages: readonly string[]): Promise<void> {
    const env = { ...process.env, NOTIFY_SOCKET: this.notifySocket };
    return new Promise((resolve) => {
      execFile(this.notifyProgram, [...messages], { env, timeout: NOTIFY_TIMEOUT_MS }, (error, _stdout, stderr) => {
        if (error) this.reportSystemdFailure(error, stderr, messages);
        else this.logger.debug({ messages }, 'systemd notified');
        resolve();
      });
    });
  }

  private reportSystemdFailure(error: ExecFileException, stderr: string, messages: readonly string[]): void {
    if (error.code === 'ENOENT') {
      // Without the binary nothing can reach systemd: say so once, not on every phase.
      this.systemdDisabled = true;
      this.logger.warn(
        { notifySocket: this.notifySocket, program: this.notifyProgram },
        'NOTIFY_SOCKET is set but systemd-notify is not installed: systemd is not told of readiness (use Type=exec, or install systemd)',
      );
      return;
    }
    this.logger.warn({ err: error, stderr: stderr.trim(), messages }, 'systemd notification failed');
  }

  private notifyParent(): Promise<void> {
    return new Promise((resolve) => {
      const send = this.sendToParent;
      if (!send) return resolve();
      try {
        send('ready', (error) => {
          if (error) this.logger.warn({ err: error }, 'could not send "ready" to the parent process');
          else this.logger.debug('parent process told "ready"');
          resolve();
        });
      } catch (error) {
        // The channel closed between the check and the send: the parent is gone.
        this.logger.warn({ err: error }, 'could not send "ready" to the parent process');
        resolve();
      }
    });
  }
}
