// WebSocket client for the streaming API: token on connect, reconnect with backoff (forever, with a
// fresh token each time), heartbeat under API Gateway's 10-minute idle limit, request_id
// correlation, seq de-duplication, resume after a reconnect, and a watchdog that asks the server
// about a call that went silent (a dead worker is then restarted or failed: never silence).
import { parseFrame } from '../frames'
import { isTerminal, type ClientAction, type NotificationFrame, type ServerFrame } from '../protocol.gen'

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'
export type FrameHandler = (frame: ServerFrame) => void
export type NotificationHandler = (frame: NotificationFrame) => void

export interface SocketLike {
  readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: Event) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  onerror: ((ev: Event) => void) | null
}

export interface WebSocketOptions {
  url: string
  token: () => Promise<string | null>
  createSocket?: (url: string) => SocketLike
  heartbeatMs?: number
  maxBackoffMs?: number
  /** A call with no frame for this long is resumed, so the server checks on its worker. */
  silenceMs?: number
  newRequestId?: () => string
  now?: () => number
}

const OPEN = 1

interface Call {
  onFrame: FrameHandler
  lastSeq: number
  lastFrameAt: number
  /** An answer to the call's questions was sent: a refusal (error, seq 0) refuses the answer, not the call. */
  answering?: boolean
}

export class WebSocketService {
  private socket: SocketLike | null = null
  private calls = new Map<string, Call>()
  private stateListeners = new Set<(state: ConnectionState) => void>()
  private notificationListeners = new Set<NotificationHandler>()
  private heartbeat: ReturnType<typeof setInterval> | null = null
  private watchdog: ReturnType<typeof setInterval> | null = null
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private attempts = 0
  private stopped = false
  private opening: Promise<void> | null = null
  state: ConnectionState = 'idle'

  private readonly options: WebSocketOptions

  constructor(options: WebSocketOptions) {
    this.options = options
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  /** Frames that belong to no request: a verdict ready, a call due (request_id null). */
  onNotification(listener: NotificationHandler): () => void {
    this.notificationListeners.add(listener)
    return () => this.notificationListeners.delete(listener)
  }

  private setState(state: ConnectionState): void {
    this.state = state
    this.stateListeners.forEach((listener) => listener(state))
  }

  connect(): Promise<void> {
    if (this.socket?.readyState === OPEN) return Promise.resolve()
    if (this.opening) return this.opening
    this.stopped = false
    this.opening = this.open().finally(() => {
      this.opening = null
    })
    return this.opening
  }

  private async open(): Promise<void> {
    let token: string | null
    try {
      token = await this.options.token()
    } catch {
      token = null
    }
    if (!token) {
      // Signed out (or the refresh failed): keep trying while calls wait, the user may sign in again.
      if (!this.stopped && this.calls.size > 0) this.scheduleReconnect()
      throw new Error('Sign in to make a call.')
    }
    this.setState(this.attempts === 0 ? 'connecting' : 'reconnecting')
    const url = `${this.options.url}?token=${encodeURIComponent(token)}`
    const socket = (this.options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike))(url)
    this.socket = socket
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => {
        this.attempts = 0
        this.setState('open')
        this.startTimers()
        this.resumeCalls()
        resolve()
      }
      socket.onerror = () => reject(new Error('Could not connect to the server.'))
      socket.onmessage = (ev) => this.dispatch(ev.data)
      socket.onclose = () => {
        this.stopTimers()
        if (this.socket === socket) this.socket = null
        reject(new Error('The connection closed.'))
        if (!this.stopped) this.scheduleReconnect()
        else this.setState('closed')
      }
    })
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return
    this.attempts += 1
    this.setState('reconnecting')
    const max = this.options.maxBackoffMs ?? 10_000
    const delay = Math.min(max, 500 * 2 ** Math.min(this.attempts - 1, 10)) * (0.5 + Math.random() / 2)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      // A failed attempt (no token, refused handshake) schedules the next one itself.
      if (!this.stopped) this.connect().catch(() => undefined)
    }, delay)
  }

  private startTimers(): void {
    this.stopTimers()
    // API Gateway drops connections idle for 10 minutes.
    this.heartbeat = setInterval(() => this.send({ action: 'ping' }), this.options.heartbeatMs ?? 5 * 60_000)
    const silence = this.options.silenceMs ?? 45_000
    this.watchdog = setInterval(() => this.checkSilentCalls(silence), Math.max(1_000, silence / 3))
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.watchdog) clearInterval(this.watchdog)
    this.heartbeat = null
    this.watchdog = null
  }

  private checkSilentCalls(silenceMs: number): void {
    const now = this.now()
    for (const [requestId, call] of this.calls) {
      if (now - call.lastFrameAt >= silenceMs) {
        call.lastFrameAt = now
        this.send({ action: 'resume', request_id: requestId, after_seq: call.lastSeq })
      }
    }
  }

  private resumeCalls(): void {
    for (const [requestId, call] of this.calls) {
      call.lastFrameAt = this.now()
      this.send({ action: 'resume', request_id: requestId, after_seq: call.lastSeq })
    }
  }

  private dispatch(raw: unknown): void {
    const frame = parseFrame(raw)
    if (!frame) return
    if (frame.request_id === null) {
      if (frame.type === 'notification') this.notificationListeners.forEach((listener) => listener(frame))
      return
    }
    const call = this.calls.get(frame.request_id)
    if (!call) return
    call.lastFrameAt = this.now()
    if (frame.seq > 0) {
      if (frame.seq <= call.lastSeq) return // a replay after resume
      call.lastSeq = frame.seq
    }
    const refusedAnswer = call.answering === true && frame.type === 'error' && frame.seq === 0
    if (frame.seq > 0 || frame.type === 'status') call.answering = false
    call.onFrame(frame)
    // A call ends with its terminal frame (a refusal is one too: an error with seq 0), except a
    // refused answer to a question: the call still waits for a valid one.
    if (isTerminal(frame) && !refusedAnswer) this.calls.delete(frame.request_id)
  }

  private send(message: ClientAction): boolean {
    if (this.socket?.readyState !== OPEN) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  /** Start a call; frames for it go to onFrame. Returns the request id. */
  makeCall(prompt: string, timezone: string, onFrame: FrameHandler): Promise<string> {
    return this.start((requestId) => ({ action: 'makecall', prompt, timezone, request_id: requestId }), onFrame)
  }

  /** Verify a saved prediction now; frames (ending with a verdict) go to onFrame. Returns the request id. */
  verify(predictionId: string, onFrame: FrameHandler): Promise<string> {
    return this.start((requestId) => ({ action: 'verify', prediction_id: predictionId, request_id: requestId }), onFrame)
  }

  private async start(action: (requestId: string) => ClientAction, onFrame: FrameHandler): Promise<string> {
    await this.connect()
    const requestId = (this.options.newRequestId ?? (() => crypto.randomUUID()))()
    this.calls.set(requestId, { onFrame, lastSeq: 0, lastFrameAt: this.now() })
    this.send(action(requestId))
    return requestId
  }

  /** Follow a call started earlier (e.g. before a page reload), from the frame after `afterSeq`. */
  async resume(requestId: string, afterSeq: number, onFrame: FrameHandler): Promise<void> {
    this.calls.set(requestId, { onFrame, lastSeq: afterSeq, lastFrameAt: this.now() })
    if (this.socket?.readyState === OPEN) {
      this.send({ action: 'resume', request_id: requestId, after_seq: afterSeq })
      return
    }
    await this.connect() // resumeCalls() sends it once the socket opens
  }

  /** Answer the questions a call waits on (or skip them); its frames keep going to the same handler. */
  clarify(requestId: string, reply: { answers: Record<string, string> } | { skip: true }): boolean {
    const call = this.calls.get(requestId)
    if (call) {
      call.answering = true
      call.lastFrameAt = this.now()
    }
    return this.send({ action: 'clarify', request_id: requestId, ...reply })
  }

  cancel(requestId: string): void {
    this.send({ action: 'cancel', request_id: requestId })
  }

  /** Stop following a call locally (the server keeps its record). */
  forget(requestId: string): void {
    this.calls.delete(requestId)
  }

  close(): void {
    this.stopped = true
    this.stopTimers()
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    this.socket?.close(1000, 'bye')
    this.socket = null
    this.calls.clear()
    this.setState('closed')
  }
}
