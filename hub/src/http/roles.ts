/** Who may do what. `admin` passes every check (see auth.ts). */
import type { Role } from '../registry/schemas.js';

export const ROLE = {
  /** dashboards and registry reads */
  read: ['technician', 'operator', 'manager', 'auditor'],
  /** windows and staff lists: also business systems, which open sessions by window and staff id */
  directory: ['technician', 'operator', 'manager', 'auditor', 'business'],
  /** halls, windows, staff, settings */
  manage: ['manager'],
  /** provisioning, device moves and decommission */
  devices: ['technician', 'manager'],
  /** the sessions API of business / queue systems */
  sessionsWrite: ['business'],
  sessionsRead: ['business', 'operator', 'manager', 'auditor'],
  audit: ['auditor', 'manager'],
  /** users and API tokens: admin only */
  admin: [],
  /** external broker auth / ACL hooks */
  broker: ['broker'],
  /** any logged-in principal */
  any: ['technician', 'operator', 'manager', 'auditor', 'business', 'broker'],
} as const satisfies Record<string, readonly Role[]>;
