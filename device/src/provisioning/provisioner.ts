/**
 * Claim-code provisioning. The device shows a claim code (and its QR) and polls the hub:
 *   POST {hubUrl}/api/provision/exchange  ProvisionRequest
 *   → 200 ProvisionResponse | 202 HCP_CLAIM_PENDING | 404 HCP_CLAIM_INVALID | 403 HCP_DEVICE_REVOKED
 * Pending and network errors poll again with backoff; an invalid code is replaced by a fresh one
 * (unless it came from config, which a technician must fix).
 */
import type { Logger } from 'pino';
import { ProvisionResponse, decodeJson, isClaimCode, makeClaimCode, type ProvisionRequest, type RandomFill } from '@hcp/protocol';
import type { Clock } from '../time/clock.js';
import { backoffMs } from '../sync/backoff.js';

export type ProvisionState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'waiting-claim'; readonly claimCode: string; readonly attempt: number; readonly lastError: string | null }
  | { readonly kind: 'revoked'; readonly claimCode: string }
  | { readonly kind: 'done' };

export interface ProvisionerDeps {
  readonly hubUrl: string;
  readonly hardwareId: string;
  readonly model: string;
  readonly appVersion: string;
  readonly configClaimCode: string | undefined;
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  readonly clock: Clock;
  readonly fill: RandomFill;
  readonly random: () => number;
  readonly log: Logger;
  readonly loadClaim: () => string | null;
  readonly saveClaim: (code: string) => void;
  readonly onState: (s: ProvisionState) => void;
  readonly onProvisioned: (res: ProvisionResponse) => void;
  readonly fetch?: typeof fetch;
}

export class Provisioner {
  private state: ProvisionState = { kind: 'stopped' };
  private timer: unknown = null;
  private abort: AbortController | null = null;

  constructor(private readonly d: ProvisionerDeps) {}

  get current(): ProvisionState {
    return this.state;
  }

  start(): void {
    const fromConfig = this.d.configClaimCode;
    const saved = this.d.loadClaim();
    let code = fromConfig ?? (saved && isClaimCode(saved) ? saved : null);
    if (!code) {
      code = makeClaimCode(this.d.fill);
      this.d.saveClaim(code);
    }
    this.set({ kind: 'waiting-claim', claimCode: code, attempt: 0, lastError: null });
    this.schedule(0);
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.set({ kind: 'stopped' });
  }

  private set(s: ProvisionState): void {
    this.state = s;
    this.d.onState(s);
  }

  private schedule(ms: number): void {
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, ms);
  }

  private retry(s: { claimCode: string; attempt: number }, lastError: string | null, slow = false): void {
    const attempt = s.attempt + 1;
    this.set({ kind: 'waiting-claim', claimCode: s.claimCode, attempt, lastError });
    this.schedule(slow ? this.d.pollMaxMs : backoffMs(Math.min(attempt, 6), this.d.pollMinMs, this.d.pollMaxMs, this.d.random));
  }

  private async poll(): Promise<void> {
    const s = this.state;
    if (s.kind !== 'waiting-claim' && s.kind !== 'revoked') return;
    const body: ProvisionRequest = { v: 1, claimCode: s.claimCode, hardwareId: this.d.hardwareId, model: this.d.model, appVersion: this.d.appVersion };
    const doFetch = this.d.fetch ?? fetch;
    this.abort = new AbortController();
    let status: number;
    let text: string;
    try {
      const res = await doFetch(new URL('/api/provision/exchange', this.d.hubUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: this.abort.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (this.state.kind === 'stopped') return;
      this.d.log.info({ err: (err as Error).message }, 'hub unreachable; will retry provisioning');
      return this.retry({ claimCode: s.claimCode, attempt: s.kind === 'waiting-claim' ? s.attempt : 0 }, 'HCP_UNAVAILABLE');
    }
    if (this.state.kind === 'stopped') return;
    const attempt = s.kind === 'waiting-claim' ? s.attempt : 0;
    if (status === 200) {
      const r = decodeJson(ProvisionResponse, text);
      if (!r.ok) {
        this.d.log.error({ code: r.code, errors: r.errors }, 'hub sent an invalid provisioning response');
        return this.retry({ claimCode: s.claimCode, attempt }, r.code);
      }
      this.set({ kind: 'done' });
      this.d.onProvisioned(r.value);
      return;
    }
    if (status === 202) return this.retry({ claimCode: s.claimCode, attempt }, null);
    if (status === 404) {
      // Our own code expired or was never registered: show a fresh one. A configured code stays (technician fixes config).
      if (this.d.configClaimCode === undefined) {
        const code = makeClaimCode(this.d.fill);
        this.d.saveClaim(code);
        this.d.log.info('claim code rejected by hub; showing a new one');
        return this.retry({ claimCode: code, attempt: 0 }, 'HCP_CLAIM_INVALID');
      }
      return this.retry({ claimCode: s.claimCode, attempt }, 'HCP_CLAIM_INVALID', true);
    }
    if (status === 403) {
      this.set({ kind: 'revoked', claimCode: s.claimCode });
      this.schedule(this.d.pollMaxMs);
      return;
    }
    this.retry({ claimCode: s.claimCode, attempt }, `HTTP ${status}`);
  }
}
