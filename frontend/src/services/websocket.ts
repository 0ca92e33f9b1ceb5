// WebSocket client for the streaming API: token on connect, reconnect with backoff, heartbeat under
// API Gateway's 10-minute idle limit, request_id correlation, seq de-duplication, resume after reconnect.
import type { ServerFrame } from '../types'

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'
type FrameHandler = (frame: ServerFrame) => void

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
  newRequestId?: () => string
}

const OPEN = 1
const TERMINAL = new Set(['complete', 'error'])

interface Call {
  onFrame: FrameHandler
  lastSeq: number
}

export class WebSocketService {
  private socket: SocketLike | null = null
  private calls = new Map<string, Call>()
  private stateListeners = new Set<(state: ConnectionState) => void>()
  private heartbeat: ReturnType<typeof setInterval> | null = null
  private attempts = 0
  private stopped = false
  private opening: Promise<void> | null = null
  state: ConnectionState = 'idle'

  private readonly options: WebSocketOptions

  constructor(options: WebSocketOptions) {
    this.options = options
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
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
    const token = await this.options.token()
    if (!token) throw new Error('Sign in to make a call.')
    this.setState(this.attempts === 0 ? 'connecting' : 'reconnecting')
    const url = `${this.options.url}?token=${encodeURIComponent(token)}`
    const socket = (this.options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike))(url)
    this.socket = socket
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => {
        this.attempts = 0
        this.setState('open')
        this.startHeartbeat()
        this.resumeCalls()
        resolve()
      }
      socket.onerror = () => reject(new Error('Could not connect to the server.'))
      socket.onmessage = (ev) => this.dispatch(ev.data)
      socket.onclose = () => {
        this.stopHeartbeat()
        if (this.socket === socket) this.socket = null
        reject(new Error('The connection closed.'))
        if (!this.stopped) this.scheduleReconnect()
        else this.setState('closed')
      }
    })
  }

  private scheduleReconnect(): void {
    this.attempts += 1
    this.setState('reconnecting')
    const max = this.options.maxBackoffMs ?? 10_000
    const delay = Math.min(max, 500 * 2 ** (this.attempts - 1)) * (0.5 + Math.random() / 2)
    setTimeout(() => {
      if (!this.stopped) this.connect().catch(() => undefined)
    }, delay)
  }

  private startHeartbeat(): void {
    this.stopHeartbeat()
    // API Gateway drops connections idle for 10 minutes.
    this.heartbeat = setInterval(() => this.send({ action: 'ping' }), this.options.heartbeatMs ?? 5 * 60_000)
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = null
  }

  private resumeCalls(): void {
    for (const [requestId, call] of this.calls) {
      this.send({ action: 'resume', request_id: requestId, after_seq: call.lastSeq })
    }
  }

  private dispatch(raw: unknown): void {
    let frame: ServerFrame
    try {
      frame = JSON.parse(String(raw)) as ServerFrame
    } catch {
      return
    }
    const call = this.calls.get(frame.request_id)
    if (!call) return
    if (frame.seq > 0) {
      if (frame.seq <= call.lastSeq) return // a replay after resume
      call.lastSeq = frame.seq
    }
    call.onFrame(frame)
    // A call ends with its terminal frame, a refusal (error with seq 0) or a cancellation.
    if (TERMINAL.has(frame.type) || (frame.type === 'status' && frame.status === 'cancelled')) {
      this.calls.delete(frame.request_id)
    }
  }

  private send(message: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== OPEN) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  /** Start a call; frames for it go to onFrame. Returns the request id. */
  async makeCall(prompt: string, timezone: string, onFrame: FrameHandler): Promise<string> {
    await this.connect()
    const requestId = (this.options.newRequestId ?? (() => crypto.randomUUID()))()
    this.calls.set(requestId, { onFrame, lastSeq: 0 })
    this.send({ action: 'makecall', prompt, timezone, request_id: requestId })
    return requestId
  }

  cancel(requestId: string): void {
    this.send({ action: 'cancel', request_id: requestId })
  }

  close(): void {
    this.stopped = true
    this.stopHeartbeat()
    this.socket?.close(1000, 'bye')
    this.socket = null
    this.calls.clear()
    this.setState('closed')
  }
}
