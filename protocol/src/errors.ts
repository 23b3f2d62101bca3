/**
 * The coded error catalog shared by device, hub and simulator.
 *
 * Rules (kept by protocol/test/errors.test.ts):
 * - a code is never reused or renamed once released; retire it by marking `retired: true`;
 * - every code appears in docs/errors.md (regenerate with `npm run docs:errors -w scripts`);
 * - `retryable` says whether the same request may succeed later unchanged.
 * - `http` is the status the hub answers with when the error reaches an HTTP client.
 */
export interface ErrorSpec {
  readonly message: string;
  readonly retryable: boolean;
  readonly http: number;
  readonly retired?: boolean;
}

export const ERRORS = {
  // validation and codecs
  HCP_VALIDATION: { message: 'message failed schema validation', retryable: false, http: 400 },
  HCP_JSON_MALFORMED: { message: 'payload is not valid JSON', retryable: false, http: 400 },
  HCP_PAYLOAD_TOO_LARGE: { message: 'payload exceeds the size limit', retryable: false, http: 413 },
  HCP_VERSION_UNSUPPORTED: { message: 'message version is not supported', retryable: false, http: 400 },
  HCP_TOPIC_INVALID: { message: 'topic does not follow the hcp/v1 grammar', retryable: false, http: 400 },
  HCP_TOPIC_FORBIDDEN: { message: 'client may not use this topic', retryable: false, http: 403 },
  HCP_ID_INVALID: { message: 'identifier does not match its grammar', retryable: false, http: 400 },
  HCP_SIGNATURE_INVALID: { message: 'rating signature does not verify', retryable: false, http: 400 },
  HCP_SERIAL_BAD_CHECKSUM: { message: 'serial frame checksum mismatch', retryable: false, http: 400 },
  HCP_SERIAL_BAD_FRAME: { message: 'serial frame is malformed', retryable: false, http: 400 },
  HCP_SERIAL_UNKNOWN_TYPE: { message: 'serial frame type is unknown', retryable: false, http: 400 },
  HCP_SERIAL_VERSION: { message: 'serial protocol version is not supported', retryable: false, http: 400 },
  HCP_SERIAL_OVERLONG: { message: 'serial line exceeds the maximum length', retryable: false, http: 400 },
  HCP_SERIAL_GARBAGE: { message: 'bytes outside any frame were dropped', retryable: false, http: 400 },
  HCP_LEVEL_INVALID: { message: 'rating level is outside 1..5', retryable: false, http: 400 },
  HCP_BAD_REVIEW_NEEDS_REASON: { message: 'a 差评 (level 1-2) needs indicator codes or text', retryable: false, http: 400 },
  HCP_CODE_UNMAPPED: { message: 'code has no mapping in this profile', retryable: false, http: 400 },
  // config and start-up
  HCP_CONFIG_INVALID: { message: 'configuration is invalid', retryable: false, http: 500 },
  HCP_CONFIG_UNREADABLE: { message: 'configuration file cannot be read', retryable: false, http: 500 },
  HCP_PORT_IN_USE: { message: 'a port is already in use', retryable: false, http: 500 },
  // device runtime
  HCP_INPUT_FAILED: { message: 'input driver failed', retryable: true, http: 503 },
  HCP_INPUT_UNAVAILABLE: { message: 'input hardware is not present', retryable: true, http: 503 },
  HCP_SESSION_NONE: { message: 'no rating session is open', retryable: false, http: 409 },
  HCP_SESSION_BUSY: { message: 'a rating session is already in progress', retryable: true, http: 409 },
  HCP_SESSION_ALREADY_RATED: { message: 'this session has already been rated', retryable: false, http: 409 },
  HCP_PRESS_IGNORED: { message: 'press ignored inside the response interval', retryable: false, http: 429 },
  HCP_OUTBOX_DISK_FULL: { message: 'storage is full; new ratings are refused', retryable: true, http: 507 },
  HCP_TIME_SYNC_STALE: { message: 'time.sync refused: its round trip was too long (or it answers another boot) to set the clock', retryable: true, http: 409 },
  HCP_OUTBOX_CORRUPT: { message: 'outbox database was corrupt and has been moved aside', retryable: false, http: 500 },
  HCP_NOT_PROVISIONED: { message: 'device is not provisioned', retryable: true, http: 409 },
  HCP_COMMAND_UNKNOWN: { message: 'command type is unknown', retryable: false, http: 400 },
  HCP_COMMAND_REFUSED: { message: 'command was refused in the current state', retryable: false, http: 409 },
  HCP_CLOCK_UNTRUSTED: { message: 'device clock is not trusted', retryable: true, http: 409 },
  // hub
  HCP_AUTH_REQUIRED: { message: 'authentication required', retryable: false, http: 401 },
  HCP_AUTH_FAILED: { message: 'credentials are wrong', retryable: false, http: 401 },
  HCP_FORBIDDEN: { message: 'your role may not do this', retryable: false, http: 403 },
  HCP_RATE_LIMITED: { message: 'too many requests; slow down', retryable: true, http: 429 },
  HCP_NOT_FOUND: { message: 'resource not found', retryable: false, http: 404 },
  HCP_CONFLICT: { message: 'resource already exists or changed meanwhile', retryable: false, http: 409 },
  HCP_CLAIM_INVALID: { message: 'claim code is unknown, used or expired', retryable: false, http: 404 },
  HCP_CLAIM_PENDING: { message: 'claim code has not been claimed by a technician yet', retryable: true, http: 202 },
  HCP_DEVICE_REVOKED: { message: 'device has been decommissioned', retryable: false, http: 403 },
  HCP_DEVICE_UNKNOWN: { message: 'device is not registered', retryable: false, http: 404 },
  HCP_WINDOW_NO_DEVICE: { message: 'window has no active device', retryable: true, http: 409 },
  HCP_RATING_DUPLICATE: { message: 'rating already stored (acknowledged again)', retryable: false, http: 200 },
  HCP_RATING_REJECTED: { message: 'rating rejected by the hub', retryable: false, http: 400 },
  // mobile rating page (QR link) and personal data
  HCP_RATE_LINK_INVALID: { message: 'rating link is malformed or its signature does not verify', retryable: false, http: 404 },
  HCP_RATE_LINK_EXPIRED: { message: 'rating link has expired', retryable: false, http: 410 },
  HCP_SESSION_CANCELLED: { message: 'this session was cancelled and cannot be rated', retryable: false, http: 409 },
  HCP_FOLLOWUP_NOT_ALLOWED: { message: 'a follow-up (追加) rating is not possible now: no first rating yet, already given, or its window closed', retryable: false, http: 409 },
  HCP_NO_APPLICANT: { message: 'this session holds no applicant data', retryable: false, http: 404 },
  HCP_INTERNAL: { message: 'internal error', retryable: true, http: 500 },
  HCP_UNAVAILABLE: { message: 'service temporarily unavailable', retryable: true, http: 503 },
  // forwarding to the provincial system
  HCP_PROVINCE_REJECTED: { message: 'provincial system rejected the record', retryable: false, http: 502 },
  HCP_PROVINCE_UNAVAILABLE: { message: 'provincial system unreachable or failing', retryable: true, http: 503 },
  HCP_PROVINCE_BAD_ANSWER: { message: 'provincial system answered in an unknown form', retryable: true, http: 502 },
  HCP_PROVINCE_CONFIG: { message: 'provincial system refused the hub credentials or address; fix the province profile', retryable: true, http: 502 },
  // statistics and reports
  HCP_REPORT_FONT_MISSING: { message: 'no Chinese (CJK) font for the PDF report: install fonts-noto-cjk or set HCP_REPORT_FONT', retryable: false, http: 503 },
  // 差评 follow-up (hub/src/cases, docs/cases.md)
  HCP_CASE_STALE: { message: 'the case changed meanwhile; reload it and try again', retryable: false, http: 409 },
  HCP_CASE_STATE: { message: 'the case state does not allow this action', retryable: false, http: 409 },
  HCP_CASE_EXTENSION_LIMIT: { message: 'the case has been extended as often as allowed', retryable: false, http: 409 },
  HCP_APPEAL_CLOSED: { message: 'the appeal window for this case has closed', retryable: false, http: 409 },
  HCP_APPEAL_STATE: { message: 'the case already has an appeal, or has none pending to review', retryable: false, http: 409 },
  HCP_REVIEW_SELF: { message: 'whoever filed an appeal may not review it', retryable: false, http: 403 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** An error that carries a catalog code; `detail` is safe to show to the caller. */
export class HcpError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly statusCode: number;
  readonly detail: unknown;

  constructor(code: ErrorCode, detail?: unknown, options?: { cause?: unknown; message?: string }) {
    const spec: ErrorSpec = ERRORS[code];
    super(options?.message ?? spec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HcpError';
    this.code = code;
    this.retryable = spec.retryable;
    this.statusCode = spec.http;
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; detail?: unknown } {
    return this.detail === undefined
      ? { code: this.code, message: this.message, retryable: this.retryable }
      : { code: this.code, message: this.message, retryable: this.retryable, detail: this.detail };
  }
}

export function isHcpError(err: unknown): err is HcpError {
  return err instanceof HcpError;
}
