/**
 * Halls, windows, staff (with photo) and devices. Every mutation runs in a transaction with its
 * audit record.
 */
import { HcpError } from '@hcp/protocol';
import type { Static } from '@sinclair/typebox';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../audit.js';
import type * as S from './schemas.js';

type Hall = Static<typeof S.Hall>;
type Window = Static<typeof S.Window>;
type Staff = Static<typeof S.Staff>;
type Device = Static<typeof S.Device>;

const isUnique = (err: unknown): boolean => {
  const c = (err as { code?: string }).code;
  return c === 'SQLITE_CONSTRAINT_PRIMARYKEY' || c === 'SQLITE_CONSTRAINT_UNIQUE';
};
const isForeignKey = (err: unknown): boolean => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY';

export class Registry {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditLog) {}

  private at(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      if (isUnique(err)) throw new HcpError('HCP_CONFLICT', undefined, { cause: err });
      if (isForeignKey(err)) throw new HcpError('HCP_NOT_FOUND', { rule: 'referenced record exists' }, { cause: err, message: 'a referenced hall, window or staff member does not exist' });
      throw err;
    }
  }

  // halls
  ensureHall(id: string, name: string): void {
    const at = this.at();
    this.db.prepare('INSERT OR IGNORE INTO halls (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, name, at, at);
  }

  listHalls(): Hall[] {
    return this.db.prepare('SELECT id, name, address, created_at AS createdAt, updated_at AS updatedAt FROM halls ORDER BY id').all() as Hall[];
  }

  getHall(id: string): Hall | null {
    return (this.db.prepare('SELECT id, name, address, created_at AS createdAt, updated_at AS updatedAt FROM halls WHERE id = ?').get(id) as Hall | undefined) ?? null;
  }

  createHall(h: S.HallIn, actor: string): Hall {
    const at = this.at();
    this.tx(() => {
      this.db.prepare('INSERT INTO halls (id, name, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(h.id, h.name, h.address ?? null, at, at);
      this.audit.record(actor, 'hall.create', h.id, h);
    });
    return this.getHall(h.id)!;
  }

  updateHall(id: string, p: Static<typeof S.HallPatch>, actor: string): Hall {
    this.tx(() => {
      const r = this.db.prepare('UPDATE halls SET name = COALESCE(?, name), address = CASE WHEN ? THEN ? ELSE address END, updated_at = ? WHERE id = ?')
        .run(p.name ?? null, p.address !== undefined ? 1 : 0, p.address ?? null, this.at(), id);
      if (r.changes === 0) throw new HcpError('HCP_NOT_FOUND', { hallId: id });
      this.audit.record(actor, 'hall.update', id, p);
    });
    return this.getHall(id)!;
  }

  deleteHall(id: string, actor: string): void {
    this.tx(() => {
      if (this.db.prepare('SELECT 1 FROM windows WHERE hall_id = ?').get(id)) throw new HcpError('HCP_CONFLICT', { hallId: id }, { message: 'hall still has windows' });
      if (this.db.prepare('DELETE FROM halls WHERE id = ?').run(id).changes === 0) throw new HcpError('HCP_NOT_FOUND', { hallId: id });
      this.audit.record(actor, 'hall.delete', id);
    });
  }

  // windows
  private readonly windowSql = `SELECT w.id, w.hall_id AS hallId, w.name, w.staff_id AS staffId, w.department, w.created_at AS createdAt, w.updated_at AS updatedAt,
    (SELECT d.id FROM devices d WHERE d.window_id = w.id AND d.state = 'active' ORDER BY d.created_at DESC LIMIT 1) AS deviceId FROM windows w`;

  listWindows(hallId?: string): Window[] {
    return this.db.prepare(`${this.windowSql} WHERE ? IS NULL OR w.hall_id = ? ORDER BY w.id`).all(hallId ?? null, hallId ?? null) as Window[];
  }

  getWindow(id: string): Window | null {
    return (this.db.prepare(`${this.windowSql} WHERE w.id = ?`).get(id) as Window | undefined) ?? null;
  }

  createWindow(w: S.WindowIn, actor: string): Window {
    const at = this.at();
    this.tx(() => {
      this.db.prepare('INSERT INTO windows (id, hall_id, name, staff_id, department, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(w.id, w.hallId, w.name, w.staffId ?? null, w.department ?? null, at, at);
      this.audit.record(actor, 'window.create', w.id, w);
    });
    return this.getWindow(w.id)!;
  }

  updateWindow(id: string, p: Static<typeof S.WindowPatch>, actor: string): Window {
    this.tx(() => {
      const r = this.db.prepare(`UPDATE windows SET name = COALESCE(?, name), staff_id = CASE WHEN ? THEN ? ELSE staff_id END,
          department = CASE WHEN ? THEN ? ELSE department END, updated_at = ? WHERE id = ?`)
        .run(p.name ?? null, p.staffId !== undefined ? 1 : 0, p.staffId ?? null, p.department !== undefined ? 1 : 0, p.department ?? null, this.at(), id);
      if (r.changes === 0) throw new HcpError('HCP_NOT_FOUND', { windowId: id });
      this.audit.record(actor, 'window.update', id, p);
    });
    return this.getWindow(id)!;
  }

  deleteWindow(id: string, actor: string): void {
    this.tx(() => {
      if (this.db.prepare("SELECT 1 FROM devices WHERE window_id = ? AND state = 'active'").get(id)) throw new HcpError('HCP_CONFLICT', { windowId: id }, { message: 'window still has an active device' });
      if (this.db.prepare('DELETE FROM windows WHERE id = ?').run(id).changes === 0) throw new HcpError('HCP_NOT_FOUND', { windowId: id });
      this.audit.record(actor, 'window.delete', id);
    });
  }

  // staff
  private readonly staffSql = `SELECT id, name, number, title, star_level AS starLevel, photo_type IS NOT NULL AS hasPhoto, active,
    created_at AS createdAt, updated_at AS updatedAt FROM staff`;

  private staffRow(r: Record<string, unknown>): Staff {
    return { ...(r as unknown as Staff), hasPhoto: r.hasPhoto === 1, active: r.active === 1 };
  }

  listStaff(): Staff[] {
    return (this.db.prepare(`${this.staffSql} ORDER BY id`).all() as Record<string, unknown>[]).map((r) => this.staffRow(r));
  }

  getStaff(id: string): Staff | null {
    const r = this.db.prepare(`${this.staffSql} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
    return r ? this.staffRow(r) : null;
  }

  createStaff(s: S.StaffIn, actor: string): Staff {
    const at = this.at();
    this.tx(() => {
      this.db.prepare('INSERT INTO staff (id, name, number, title, star_level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(s.id, s.name, s.number, s.title ?? null, s.starLevel ?? null, at, at);
      this.audit.record(actor, 'staff.create', s.id, s);
    });
    return this.getStaff(s.id)!;
  }

  updateStaff(id: string, p: Static<typeof S.StaffPatch>, actor: string): Staff {
    this.tx(() => {
      const cur = this.getStaff(id);
      if (!cur) throw new HcpError('HCP_NOT_FOUND', { staffId: id });
      const n = { ...cur, ...p };
      this.db.prepare('UPDATE staff SET name = ?, number = ?, title = ?, star_level = ?, active = ?, updated_at = ? WHERE id = ?')
        .run(n.name, n.number, n.title ?? null, n.starLevel ?? null, n.active ? 1 : 0, this.at(), id);
      this.audit.record(actor, 'staff.update', id, p);
    });
    return this.getStaff(id)!;
  }

  deleteStaff(id: string, actor: string): void {
    this.tx(() => {
      if (this.db.prepare('DELETE FROM staff WHERE id = ?').run(id).changes === 0) throw new HcpError('HCP_NOT_FOUND', { staffId: id });
      this.audit.record(actor, 'staff.delete', id);
    });
  }

  setPhoto(id: string, photo: Buffer, type: string, actor: string): void {
    this.tx(() => {
      if (this.db.prepare('UPDATE staff SET photo = ?, photo_type = ?, updated_at = ? WHERE id = ?').run(photo, type, this.at(), id).changes === 0) {
        throw new HcpError('HCP_NOT_FOUND', { staffId: id });
      }
      this.audit.record(actor, 'staff.photo', id, { bytes: photo.length, type });
    });
  }

  photo(id: string): { photo: Buffer; type: string } | null {
    const r = this.db.prepare('SELECT photo, photo_type AS type FROM staff WHERE id = ? AND photo IS NOT NULL').get(id) as { photo: Buffer; type: string } | undefined;
    return r ?? null;
  }

  // devices
  private readonly deviceSql = `SELECT id, hall_id AS hallId, window_id AS windowId, hardware_id AS hardwareId, model, app_version AS appVersion, state,
    online_state AS onlineState, offline_reason AS offlineReason, last_seen_at AS lastSeenAt, telemetry, created_at AS createdAt, revoked_at AS revokedAt FROM devices`;

  private deviceRow(r: Record<string, unknown>): Device {
    return { ...(r as unknown as Device), telemetry: typeof r.telemetry === 'string' ? (JSON.parse(r.telemetry) as unknown) : null };
  }

  listDevices(): Device[] {
    return (this.db.prepare(`${this.deviceSql} ORDER BY id`).all() as Record<string, unknown>[]).map((r) => this.deviceRow(r));
  }

  getDevice(id: string): Device | null {
    const r = this.db.prepare(`${this.deviceSql} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
    return r ? this.deviceRow(r) : null;
  }

  moveDevice(id: string, windowId: string | null, actor: string): Device {
    this.tx(() => {
      const r = this.db.prepare("UPDATE devices SET window_id = ? WHERE id = ? AND state = 'active'").run(windowId, id);
      if (r.changes === 0) throw new HcpError('HCP_NOT_FOUND', { deviceId: id });
      this.audit.record(actor, 'device.move', id, { windowId });
    });
    return this.getDevice(id)!;
  }
}
