// Incoming frames are checked against the protocol's field table (generated from the Python side)
// before the app trusts them: a malformed or unknown frame is dropped, never cast.
import { FRAME_FIELDS, MAX_SEQ, type ServerFrame } from './protocol.gen'

function matches(kind: string, value: unknown): boolean {
  if (kind.startsWith('?')) return value === null || value === undefined || matches(kind.slice(1), value)
  if (kind.startsWith('enum:')) return typeof value === 'string' && kind.slice(5).split('|').includes(value)
  if (kind === 'array') return Array.isArray(value)
  if (kind === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value)
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value)
  if (kind === 'any') return true
  return typeof value === kind
}

/** The frame if `raw` is a well-formed server frame, else null. */
export function parseFrame(raw: unknown): ServerFrame | null {
  let data: unknown
  try {
    data = typeof raw === 'string' ? JSON.parse(raw) : raw
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null
  const body = data as Record<string, unknown>
  const fields = typeof body.type === 'string' ? FRAME_FIELDS[body.type] : undefined
  if (!fields) return null
  if (body.request_id !== null && typeof body.request_id !== 'string') return null
  if (typeof body.seq !== 'number' || !Number.isInteger(body.seq) || body.seq < 0 || body.seq > MAX_SEQ) return null
  for (const [name, kind] of Object.entries(fields)) {
    if (!matches(kind, body[name])) return null
  }
  return body as unknown as ServerFrame
}
