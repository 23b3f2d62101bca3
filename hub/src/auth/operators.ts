/**
 * Operators (users with roles), login sessions and API tokens.
 *
 * Roles: admin (bootstrap, everything), technician (devices, provisioning), operator (day-to-day
 * views), manager (registry, settings), auditor (read-only incl. audit log). API tokens carry a
 * token role: business (sessions API), broker (external broker auth/ACL hooks), operator, auditor.
 * Secrets are random; the db keeps scrypt hashes (passwords) or SHA-256 (tokens).
 */
import { randomBytes } from 'node:crypto';
import { HcpError } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../audit.js';
import { hashPassword, tokenHash, verifyPassword } from '../crypto/passwords.js';
import type { Role } from '../registry/schemas.js';

export interface Principal {
  readonly kind: 'user' | 'token';
  readonly id: string;
  /** `user:<name>` or `token:<name>`: what the audit log records. */
  readonly name: string;
  readonly role: Role;
}

const SESSION_TTL_MS = 12 * 3600_000;

/** A fixed hash to verify against when the user does not exist, so timing does not reveal names. */
const DUMMY_HASH = hashPassword('not-a-real-password-at-all');

export class Operators {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditLog) {}

  private iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString();
  }

  createUser(u: { username: string; password: string; role: Role; displayName?: string }, actor: string): { id: number; username: string; role: Role } {
    try {
      return this.db.transaction(() => {
        const r = this.db.prepare('INSERT INTO users (username, password_hash, role, display_name, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(u.username, hashPassword(u.password), u.role, u.displayName ?? null, this.iso());
        this.audit.record(actor, 'user.create', u.username, { role: u.role });
        return { id: Number(r.lastInsertRowid), username: u.username, role: u.role };
      })();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new HcpError('HCP_CONFLICT', { username: u.username }, { message: 'username is taken' });
      throw err;
    }
  }

  listUsers(): unknown[] {
    return (this.db.prepare('SELECT id, username, role, display_name AS displayName, disabled, created_at AS createdAt FROM users ORDER BY id').all() as Record<string, unknown>[])
      .map((r) => ({ ...r, disabled: r.disabled === 1 }));
  }

  async login(username: string, password: string): Promise<{ token: string; expiresAt: string; principal: Principal }> {
    const u = this.db.prepare('SELECT id, username, password_hash AS hash, role, disabled FROM users WHERE username = ?').get(username) as
      | { id: number; username: string; hash: string; role: Role; disabled: number }
      | undefined;
    const ok = await verifyPassword(password, u?.hash ?? DUMMY_HASH);
    if (!u || !ok || u.disabled) {
      this.audit.record(`user:${username}`, 'auth.login-failed', username);
      throw new HcpError('HCP_AUTH_FAILED');
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = this.iso(now + SESSION_TTL_MS);
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(tokenHash(token), u.id, this.iso(now), expiresAt);
      this.audit.record(`user:${u.username}`, 'auth.login', u.username);
    })();
    return { token, expiresAt, principal: { kind: 'user', id: String(u.id), name: `user:${u.username}`, role: u.role } };
  }

  logout(token: string, actor: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM auth_sessions WHERE token_hash = ?').run(tokenHash(token));
      this.audit.record(actor, 'auth.logout', null);
    })();
  }

  /** A login-session token or an API token → who it is; null if unknown, expired or revoked. */
  resolve(token: string): Principal | null {
    const h = tokenHash(token);
    const s = this.db
      .prepare('SELECT u.id, u.username, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0')
      .get(h, this.iso()) as { id: number; username: string; role: Role } | undefined;
    if (s) return { kind: 'user', id: String(s.id), name: `user:${s.username}`, role: s.role };
    const t = this.db.prepare('SELECT id, name, role FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(h) as { id: string; name: string; role: Role } | undefined;
    return t ? { kind: 'token', id: t.id, name: `token:${t.name}`, role: t.role } : null;
  }

  createToken(name: string, role: Role, actor: string): { id: string; name: string; role: Role; token: string } {
    const id = `tok-${randomBytes(6).toString('hex')}`;
    const token = `hcp_${randomBytes(32).toString('base64url')}`;
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO api_tokens (id, name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(id, name, role, tokenHash(token), this.iso(), actor);
      this.audit.record(actor, 'token.create', id, { name, role });
    })();
    return { id, name, role, token };
  }

  listTokens(): unknown[] {
    return this.db.prepare('SELECT id, name, role, created_at AS createdAt, created_by AS createdBy, revoked_at AS revokedAt FROM api_tokens ORDER BY created_at').all();
  }

  revokeToken(id: string, actor: string): void {
    this.db.transaction(() => {
      if (this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.iso(), id).changes === 0) throw new HcpError('HCP_NOT_FOUND', { tokenId: id });
      this.audit.record(actor, 'token.revoke', id);
    })();
  }
}
