import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ServerFrame } from '../types'
import { WebSocketService, type SocketLike, type WebSocketOptions } from './websocket'

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = []
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: ((ev: Event) => void) | null = null
  onclose: ((ev: CloseEvent) => void) | null = null
  onmessage: ((ev: MessageEvent) => void) | null = null
  onerror: ((ev: Event) => void) | null = null
  url: string
  constructor(url: string) {
    this.url = url
    FakeSocket.all.push(this)
  }
  open() {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }
  receive(frame: Partial<ServerFrame> & { request_id: string | null; seq: number; type: string }) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }))
  }
  receiveRaw(data: string) {
    this.onmessage?.(new MessageEvent('message', { data }))
  }
  drop() {
    this.readyState = 3
    this.onclose?.(new CloseEvent('close', { code: 1006 }))
  }
  close() {
    this.readyState = 3
  }
}

function service(token: string | null = 'tok en', extra: Partial<WebSocketOptions> = {}) {
  return new WebSocketService({
    url: 'ws://x/ws',
    token: async () => token,
    createSocket: (url) => new FakeSocket(url),
    newRequestId: () => 'req-1',
    heartbeatMs: 1000,
    ...extra,
  })
}

async function connected(svc: WebSocketService): Promise<FakeSocket> {
  const pending = svc.connect()
  await vi.waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0))
  const socket = FakeSocket.all.at(-1)!
  socket.open()
  await pending
  return socket
}

beforeEach(() => {
  FakeSocket.all = []
})
afterEach(() => {
  vi.useRealTimers()
})

describe('WebSocketService', () => {
  it('sends verify for a saved prediction and ends the request at its verdict', async () => {
    const svc = service()
    const socket = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.verify('p-1', (f) => frames.push(f))
    expect(socket.sent.at(-1)).toEqual({ action: 'verify', prediction_id: 'p-1', request_id: 'req-1' })
    const verdict = {
      outcome: 'inconclusive', confidence: 0, evidence: [], reasoning: 'Nothing settles it.',
      checked_at: '2027-01-01T00:00:00Z', model: 'offline-verifier', mode: 'at_date',
      usage: { input_tokens: 0, output_tokens: 0, model_calls: 1, turns: 1 },
    }
    socket.receive({ type: 'verdict', request_id: 'req-1', seq: 1, prediction_id: 'p-1', verdict, applied: false } as never)
    socket.receive({ type: 'text', request_id: 'req-1', seq: 2, content: 'late' } as never)
    expect(frames.map((f) => f.type)).toEqual(['verdict'])
  })

  it('keeps a call whose answer was refused, and ends it at its real terminal frame', async () => {
    const svc = service()
    const socket = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.makeCall('Bitcoin will go up', 'UTC', (f) => frames.push(f))
    socket.receive({ type: 'clarify', request_id: 'req-1', seq: 1, round: 1, timeout_s: 600, questions: [{ id: 'by_when', text: 'By when?', why: '', suggestions: [] }] } as never)
    expect(svc.clarify('req-1', { answers: { by_when: 'soon' } })).toBe(true)
    expect(socket.sent.at(-1)).toEqual({ action: 'clarify', request_id: 'req-1', answers: { by_when: 'soon' } })
    socket.receive({ type: 'error', request_id: 'req-1', seq: 0, code: 'bad_request', message: 'no', retry_after: null } as never)
    socket.receive({ type: 'status', request_id: 'req-1', seq: 2, status: 'running', message: 'going on' } as never)
    socket.receive({ type: 'error', request_id: 'req-1', seq: 3, code: 'model_error', message: 'failed', retry_after: null } as never)
    socket.receive({ type: 'text', request_id: 'req-1', seq: 4, content: 'after the end' } as never)
    expect(frames.map((f) => `${f.type}:${f.seq}`)).toEqual(['clarify:1', 'error:0', 'status:2', 'error:3'])
  })

  it('hands notifications (no request id) to their listeners, and nothing else', async () => {
    const svc = service()
    const socket = await connected(svc)
    const seen: string[] = []
    const stop = svc.onNotification((f) => seen.push(f.title))
    socket.receive({ type: 'notification', request_id: null, seq: 0, kind: 'verdict_ready', prediction_id: 'p-1', title: 'Resolved true: rain' } as never)
    socket.receive({ type: 'notification', request_id: null, seq: 0, kind: 'bogus', prediction_id: 'p-1', title: 'x' } as never)
    socket.receive({ type: 'text', request_id: null, seq: 0, content: 'stray' } as never)
    stop()
    socket.receive({ type: 'notification', request_id: null, seq: 0, kind: 'due', prediction_id: 'p-2', title: 'after stop' } as never)
    expect(seen).toEqual(['Resolved true: rain'])
  })

  it('connects with the token in the query string and correlates frames by request id', async () => {
    const svc = service()
    const socket = await connected(svc)
    expect(socket.url).toBe('ws://x/ws?token=tok%20en')
    const frames: ServerFrame[] = []
    await svc.makeCall('Rain tomorrow', 'Europe/Paris', (f) => frames.push(f))
    expect(socket.sent).toEqual([{ action: 'makecall', prompt: 'Rain tomorrow', timezone: 'Europe/Paris', request_id: 'req-1' }])
    socket.receive({ type: 'status', request_id: 'req-1', seq: 0, status: 'accepted', message: 'queued' })
    socket.receive({ type: 'text', request_id: 'other', seq: 1, content: 'not mine' })
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1, content: 'Hello' })
    expect(frames.map((f) => f.type)).toEqual(['status', 'text'])
  })

  it('drops replayed frames and resumes from the last seq after a reconnect', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const svc = service()
    const first = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.makeCall('Rain tomorrow', 'UTC', (f) => frames.push(f))
    first.receive({ type: 'text', request_id: 'req-1', seq: 1, content: 'a' })
    first.receive({ type: 'text', request_id: 'req-1', seq: 2, content: 'b' })
    const states: string[] = []
    svc.onStateChange((s) => states.push(s))
    first.drop()
    expect(states).toContain('reconnecting')
    await vi.advanceTimersByTimeAsync(1500)
    const second = FakeSocket.all.at(-1)!
    expect(second).not.toBe(first)
    second.open()
    await vi.waitFor(() => expect(second.sent).toContainEqual({ action: 'resume', request_id: 'req-1', after_seq: 2 }))
    second.receive({ type: 'text', request_id: 'req-1', seq: 2, content: 'b' })
    second.receive({ type: 'text', request_id: 'req-1', seq: 3, content: 'c' })
    expect(frames.map((f) => (f.type === 'text' ? f.content : f.type))).toEqual(['a', 'b', 'c'])
  })

  it('sends a heartbeat ping while open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const svc = service()
    const socket = await connected(svc)
    await vi.advanceTimersByTimeAsync(1100)
    expect(socket.sent).toContainEqual({ action: 'ping' })
  })

  it('refuses to connect without a token and forgets finished calls', async () => {
    await expect(service(null).connect()).rejects.toThrow('Sign in')
    const svc = service()
    const socket = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.makeCall('x', 'UTC', (f) => frames.push(f))
    socket.receive({ type: 'error', request_id: 'req-1', seq: 0, code: 'bad_request', message: 'no' })
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1, content: 'late' })
    expect(frames).toHaveLength(1)
  })

  it('cancel sends the cancel action', async () => {
    const svc = service()
    const socket = await connected(svc)
    svc.cancel('req-9')
    expect(socket.sent).toContainEqual({ action: 'cancel', request_id: 'req-9' })
  })

  it('validates incoming frames instead of casting them', async () => {
    const svc = service()
    const socket = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.makeCall('x', 'UTC', (f) => frames.push(f))
    socket.receiveRaw('not json')
    socket.receiveRaw('[1,2]')
    socket.receiveRaw(JSON.stringify({ type: 'explode', request_id: 'req-1', seq: 1 }))
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1 }) // no content
    socket.receive({ type: 'text', request_id: 'req-1', seq: -1, content: 'negative seq' })
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1.5, content: 'fractional seq' })
    socket.receiveRaw(JSON.stringify({ type: 'status', request_id: 'req-1', seq: 1, status: 'exploded', message: 'unknown status' }))
    socket.receiveRaw(JSON.stringify({ type: 'error', request_id: 'req-1', seq: 1, code: 'nope', message: 'unknown code' }))
    expect(frames).toEqual([])
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1, content: 'ok' })
    expect(frames).toHaveLength(1)
  })

  it('ends a call on its terminal frame: complete, error, or a cancelled status', async () => {
    const svc = service()
    const socket = await connected(svc)
    const frames: ServerFrame[] = []
    await svc.makeCall('x', 'UTC', (f) => frames.push(f))
    socket.receive({ type: 'status', request_id: 'req-1', seq: 1, status: 'cancelled', message: 'The call was cancelled.' })
    socket.receive({ type: 'text', request_id: 'req-1', seq: 2, content: 'late' })
    expect(frames.map((f) => f.type)).toEqual(['status'])
  })

  it('asks the server about a call that went silent (a dead worker is then restarted or failed)', async () => {
    let now = 0
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const svc = service('t', { silenceMs: 3000, now: () => now })
    const socket = await connected(svc)
    await svc.makeCall('x', 'UTC', () => undefined)
    socket.receive({ type: 'text', request_id: 'req-1', seq: 1, content: 'a' })
    socket.receive({ type: 'text', request_id: 'req-1', seq: 2, content: 'b' })
    now = 2000
    await vi.advanceTimersByTimeAsync(1000)
    expect(socket.sent.filter((m) => m.action === 'resume')).toEqual([])
    now = 5100
    await vi.advanceTimersByTimeAsync(1000)
    expect(socket.sent).toContainEqual({ action: 'resume', request_id: 'req-1', after_seq: 2 })
  })

  it('keeps reconnecting with a fresh token, also when getting one fails for a while', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const tokens: (string | null)[] = ['first', null, null, 'fresh']
    const svc = new WebSocketService({
      url: 'ws://x/ws',
      token: async () => (tokens.length > 1 ? tokens.shift()! : tokens[0]),
      createSocket: (url) => new FakeSocket(url),
      newRequestId: () => 'req-1',
      maxBackoffMs: 1000,
    })
    const first = await connected(svc)
    await svc.makeCall('x', 'UTC', () => undefined)
    first.drop()
    await vi.advanceTimersByTimeAsync(5000)
    const latest = FakeSocket.all.at(-1)!
    expect(latest).not.toBe(first)
    expect(latest.url).toBe('ws://x/ws?token=fresh')
    latest.open()
    await vi.waitFor(() => expect(latest.sent).toContainEqual({ action: 'resume', request_id: 'req-1', after_seq: 0 }))
  })

  it('resumes a call started before a page reload once the socket opens', async () => {
    const svc = service()
    const frames: ServerFrame[] = []
    const pending = svc.resume('earlier', 0, (f) => frames.push(f))
    await vi.waitFor(() => expect(FakeSocket.all.length).toBe(1))
    const socket = FakeSocket.all[0]
    socket.open()
    await pending
    expect(socket.sent).toEqual([{ action: 'resume', request_id: 'earlier', after_seq: 0 }])
    socket.receive({ type: 'text', request_id: 'earlier', seq: 1, content: 'replayed' })
    expect(frames).toHaveLength(1)
  })
})
