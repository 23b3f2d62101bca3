/** Halls, windows, staff (with photo) and devices: CRUD. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HALL_ID_PATTERN, HcpError, WINDOW_ID_PATTERN, DEVICE_ID_PATTERN } from '@hcp/protocol';
import type { Services } from '../services.js';
import * as S from '../registry/schemas.js';
import { actorOf } from '../http/auth.js';
import { ROLE } from '../http/roles.js';

const idParam = (pattern: string) => Type.Object({ id: Type.String({ pattern }) });
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const notFound = (what: string, id: string): HcpError => new HcpError('HCP_NOT_FOUND', { [what]: id });

export const registryRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services: s }) => {
  const r = s.registry;
  const tags = ['registry'];

  // halls
  app.get('/api/halls', { config: { roles: ROLE.read }, schema: { tags, response: { 200: Type.Array(S.Hall) } } }, async () => r.listHalls());
  app.get('/api/halls/:id', { config: { roles: ROLE.read }, schema: { tags, params: idParam(HALL_ID_PATTERN), response: { 200: S.Hall } } }, async (req) => r.getHall(req.params.id) ?? (() => { throw notFound('hallId', req.params.id); })());
  app.post('/api/halls', { config: { roles: ROLE.manage }, schema: { tags, body: S.HallIn, response: { 201: S.Hall } } }, async (req, reply) => reply.status(201).send(r.createHall(req.body, actorOf(req))));
  app.patch('/api/halls/:id', { config: { roles: ROLE.manage }, schema: { tags, params: idParam(HALL_ID_PATTERN), body: S.HallPatch, response: { 200: S.Hall } } }, async (req) => r.updateHall(req.params.id, req.body, actorOf(req)));
  app.delete('/api/halls/:id', { config: { roles: ROLE.manage }, schema: { tags, params: idParam(HALL_ID_PATTERN), response: { 204: Type.Null() } } }, async (req, reply) => {
    r.deleteHall(req.params.id, actorOf(req));
    return reply.status(204).send(null);
  });

  // windows
  app.get('/api/windows', {
    config: { roles: ROLE.directory },
    schema: { tags, querystring: Type.Object({ hallId: Type.Optional(Type.String({ pattern: HALL_ID_PATTERN })) }, { additionalProperties: false }), response: { 200: Type.Array(S.Window) } },
  }, async (req) => r.listWindows(req.query.hallId));
  app.get('/api/windows/:id', { config: { roles: ROLE.directory }, schema: { tags, params: idParam(WINDOW_ID_PATTERN), response: { 200: S.Window } } }, async (req) => r.getWindow(req.params.id) ?? (() => { throw notFound('windowId', req.params.id); })());
  app.post('/api/windows', { config: { roles: ROLE.manage }, schema: { tags, body: S.WindowIn, response: { 201: S.Window } } }, async (req, reply) => reply.status(201).send(r.createWindow(req.body, actorOf(req))));
  app.patch('/api/windows/:id', { config: { roles: ROLE.manage }, schema: { tags, params: idParam(WINDOW_ID_PATTERN), body: S.WindowPatch, response: { 200: S.Window } } }, async (req) => r.updateWindow(req.params.id, req.body, actorOf(req)));
  app.delete('/api/windows/:id', { config: { roles: ROLE.manage }, schema: { tags, params: idParam(WINDOW_ID_PATTERN), response: { 204: Type.Null() } } }, async (req, reply) => {
    r.deleteWindow(req.params.id, actorOf(req));
    return reply.status(204).send(null);
  });

  // staff
  const staffId = Type.Object({ id: S.StaffId });
  app.get('/api/staff', { config: { roles: ROLE.directory }, schema: { tags, response: { 200: Type.Array(S.Staff) } } }, async () => r.listStaff());
  app.get('/api/staff/:id', { config: { roles: ROLE.directory }, schema: { tags, params: staffId, response: { 200: S.Staff } } }, async (req) => r.getStaff(req.params.id) ?? (() => { throw notFound('staffId', req.params.id); })());
  app.post('/api/staff', { config: { roles: ROLE.manage }, schema: { tags, body: S.StaffIn, response: { 201: S.Staff } } }, async (req, reply) => reply.status(201).send(r.createStaff(req.body, actorOf(req))));
  app.patch('/api/staff/:id', { config: { roles: ROLE.manage }, schema: { tags, params: staffId, body: S.StaffPatch, response: { 200: S.Staff } } }, async (req) => r.updateStaff(req.params.id, req.body, actorOf(req)));
  app.delete('/api/staff/:id', { config: { roles: ROLE.manage }, schema: { tags, params: staffId, response: { 204: Type.Null() } } }, async (req, reply) => {
    r.deleteStaff(req.params.id, actorOf(req));
    return reply.status(204).send(null);
  });

  // photos: raw image bodies up to 2 MB; served publicly because devices show them on the staff card
  app.addContentTypeParser(PHOTO_TYPES, { parseAs: 'buffer', bodyLimit: 2 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.put('/api/staff/:id/photo', {
    config: { roles: ROLE.manage },
    schema: { tags, summary: 'upload a photo (image/jpeg, image/png or image/webp body)', params: staffId, response: { 204: Type.Null() } },
  }, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!PHOTO_TYPES.includes(type) || !Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw new HcpError('HCP_VALIDATION', { errors: [{ field: '', rule: `a non-empty ${PHOTO_TYPES.join(' / ')} body` }] });
    }
    r.setPhoto(req.params.id, req.body, type, actorOf(req));
    return reply.status(204).send(null);
  });
  app.get('/api/staff/:id/photo', { config: { public: true }, schema: { tags, params: staffId } }, async (req, reply) => {
    const p = r.photo(req.params.id);
    if (!p) throw notFound('staffId', req.params.id);
    return reply.type(p.type).header('cache-control', 'public, max-age=300').send(p.photo);
  });

  // devices
  const devId = idParam(DEVICE_ID_PATTERN);
  app.get('/api/devices', { config: { roles: ROLE.read }, schema: { tags: ['devices'], response: { 200: Type.Array(S.Device) } } }, async () => r.listDevices());
  app.get('/api/devices/:id', { config: { roles: ROLE.read }, schema: { tags: ['devices'], params: devId, response: { 200: S.Device } } }, async (req) => r.getDevice(req.params.id) ?? (() => { throw new HcpError('HCP_DEVICE_UNKNOWN', { deviceId: req.params.id }); })());
  app.patch('/api/devices/:id', { config: { roles: ROLE.devices }, schema: { tags: ['devices'], summary: 'move a device to another window', params: devId, body: S.DevicePatch, response: { 200: S.Device } } }, async (req) => {
    if (req.body.windowId && !r.getWindow(req.body.windowId)) throw notFound('windowId', req.body.windowId);
    return r.moveDevice(req.params.id, req.body.windowId, actorOf(req));
  });
  app.post('/api/devices/:id/decommission', {
    config: { roles: ROLE.devices },
    schema: { tags: ['devices'], summary: '停用 revoke credentials, disconnect, send decommission', params: devId, response: { 200: Type.Object({ disconnected: Type.Boolean() }) } },
  }, async (req) => s.provisioning.decommission(req.params.id, actorOf(req)));
};
