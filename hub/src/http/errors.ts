/**
 * Every error answer is `{ code, message, detail? }` with a code from the protocol catalog.
 * Validation failures are 400 HCP_VALIDATION with field errors (protocol's FieldError shape);
 * 5xx answers never carry internals.
 */
import { ERRORS, HcpError, isErrorCode, validate, type FieldError } from '@hcp/protocol';
import type { FastifyError, FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

export interface ErrorAnswer {
  code: string;
  message: string;
  detail?: unknown;
}

class FieldValidationError extends Error {
  constructor(readonly errors: readonly FieldError[], readonly part: string) {
    super('validation failed');
  }
}

/** Route schemas are checked with protocol's validate, so HTTP and MQTT report errors alike. */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => (data: unknown) => {
  const r = validate(schema, data);
  return r.ok ? { value: r.value } : { error: new FieldValidationError(r.errors, httpPart ?? 'body') };
};

export function toAnswer(err: unknown): { status: number; body: ErrorAnswer } {
  if (err instanceof HcpError) {
    const body: ErrorAnswer = { code: err.code, message: err.message };
    if (err.detail !== undefined && err.statusCode < 500) body.detail = err.detail;
    return { status: err.statusCode, body };
  }
  if (err instanceof FieldValidationError) {
    return { status: 400, body: { code: 'HCP_VALIDATION', message: `${err.part} is invalid`, detail: { part: err.part, errors: err.errors } } };
  }
  const fe = err as FastifyError & { validation?: unknown; validationContext?: string };
  if (fe.validation !== undefined) {
    const cause = (fe as { cause?: unknown }).cause;
    const errors: readonly FieldError[] = cause instanceof FieldValidationError ? cause.errors
      : Array.isArray(fe.validation) ? (fe.validation as { instancePath?: string; message?: string }[]).map((v) => ({ field: v.instancePath ?? '', rule: v.message ?? 'invalid' }))
      : [];
    const part = cause instanceof FieldValidationError ? cause.part : (fe.validationContext ?? 'body');
    return { status: 400, body: { code: 'HCP_VALIDATION', message: `${part} is invalid`, detail: { part, errors } } };
  }
  const status = fe.statusCode ?? 500;
  if (status === 429) return { status, body: { code: 'HCP_RATE_LIMITED', message: ERRORS.HCP_RATE_LIMITED.message } };
  if (status === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { code: 'HCP_PAYLOAD_TOO_LARGE', message: ERRORS.HCP_PAYLOAD_TOO_LARGE.message } };
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return { status: 415, body: { code: 'HCP_VALIDATION', message: 'unsupported content type', detail: { errors: [{ field: '', rule: 'supported content type' }] } } };
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (status === 400 && fe.code?.startsWith('FST_ERR_CTP'))) {
    return { status: 400, body: { code: 'HCP_JSON_MALFORMED', message: ERRORS.HCP_JSON_MALFORMED.message } };
  }
  if (status === 400 && err instanceof SyntaxError) return { status: 400, body: { code: 'HCP_JSON_MALFORMED', message: ERRORS.HCP_JSON_MALFORMED.message } };
  if (status >= 400 && status < 500) {
    const code = isErrorCode(fe.code) ? fe.code : status === 404 ? 'HCP_NOT_FOUND' : status === 401 ? 'HCP_AUTH_REQUIRED' : status === 403 ? 'HCP_FORBIDDEN' : 'HCP_VALIDATION';
    return { status, body: { code, message: ERRORS[code].message } };
  }
  return { status: 500, body: { code: 'HCP_INTERNAL', message: ERRORS.HCP_INTERNAL.message } };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const a = toAnswer(err);
    if (a.status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(a.status).send(a.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'HCP_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
