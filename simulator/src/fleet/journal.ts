/**
 * The citizens' memory: every rating whose "thank you" a simulated citizen saw, appended and
 * fsynced before anything else happens. The fleet audits the hub against this file, so it must
 * survive the child process being killed with SIGKILL right after.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export class ThanksJournal {
  private fd: number | null = null;

  constructor(private readonly path: string) {}

  start(): void {
    this.fd = openSync(this.path, 'a');
  }

  stop(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  record(ratingId: string): void {
    if (this.fd === null) throw new Error('journal not started');
    writeSync(this.fd, `${ratingId}\n`);
    fsyncSync(this.fd);
  }

  /** Every id recorded so far (a torn last line from a kill is ignored). */
  static read(path: string): string[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').split('\n').filter((l) => /^[0-9a-f-]{36}$/.test(l));
  }
}
