// The current call, held above the tabs: switching to My Calls and back, or reloading the page,
// keeps it. The request id is kept in sessionStorage and the call is resumed on load (the server
// replays its frames from the job's log). Components read it with useSyncExternalStore.
import { isTerminal, type ClarifyFrame, type CompleteFrame, type ErrorCode, type ServerFrame } from '../protocol.gen'
import { DraftBuilder, type PredictionDraft } from '../stream/predictionDraft'
import { lastLine, proseOf, withText, withTool, type StreamLog } from './streamLog'
import type { WebSocketService } from './websocket'

export type { ToolChip, TranscriptItem } from './streamLog'
export { proseOf } from './streamLog'

export type CallPhase = 'idle' | 'starting' | 'running' | 'awaiting_input' | 'complete' | 'error' | 'cancelled'

export interface CallState extends StreamLog {
  requestId: string | null
  prompt: string
  timezone: string
  phase: CallPhase
  draft: PredictionDraft
  result: CompleteFrame | null
  error: { code: ErrorCode | 'client'; message: string; retryAfter: number | null } | null
  /** The questions the call waits on (phase awaiting_input), and why the last answer was refused. */
  clarify: ClarifyFrame | null
  clarifyError: string | null
}

const STORAGE_KEY = 'calledit.call'

interface Stored {
  requestId: string
  prompt: string
  timezone: string
}

function initial(prompt = '', timezone = ''): CallState {
  return {
    requestId: null,
    prompt,
    timezone,
    phase: 'idle',
    status: '',
    liveLine: '',
    transcript: [],
    tools: [],
    draft: new DraftBuilder().draft,
    result: null,
    error: null,
    clarify: null,
    clarifyError: null,
  }
}

export class CallSession {
  private state: CallState
  private listeners = new Set<() => void>()
  private builder = new DraftBuilder()
  private text = ''
  private readonly socket: WebSocketService
  private readonly storage: Storage | null

  constructor(socket: WebSocketService, storage: Storage | null = globalThis.sessionStorage ?? null) {
    this.socket = socket
    this.storage = storage
    this.state = initial()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): CallState => this.state

  private set(patch: Partial<CallState>): void {
    this.state = { ...this.state, ...patch }
    this.listeners.forEach((listener) => listener())
  }

  private reset(prompt: string, timezone: string): void {
    this.builder = new DraftBuilder()
    this.text = ''
    this.state = initial(prompt, timezone)
  }

  /** Start analysing a prediction (replaces any finished call on screen). */
  async start(prompt: string, timezone: string): Promise<void> {
    if (this.state.requestId && this.active) this.socket.forget(this.state.requestId)
    this.reset(prompt, timezone)
    this.set({ phase: 'starting', status: 'Connecting…' })
    try {
      const requestId = await this.socket.makeCall(prompt, timezone, (frame) => this.onFrame(frame))
      this.remember({ requestId, prompt, timezone })
      this.set({ requestId, phase: this.state.phase === 'starting' ? 'running' : this.state.phase })
    } catch (e) {
      this.set({
        phase: 'error',
        status: '',
        error: { code: 'client', message: e instanceof Error ? e.message : 'Could not start the call.', retryAfter: null },
      })
    }
  }

  /** Pick up the call of an earlier page load, if any: its frames are replayed from the start. */
  async restore(): Promise<boolean> {
    const stored = this.recall()
    if (!stored || this.state.phase !== 'idle') return false
    this.reset(stored.prompt, stored.timezone)
    this.set({ requestId: stored.requestId, phase: 'running', status: 'Reconnecting to your call…' })
    try {
      await this.socket.resume(stored.requestId, 0, (frame) => this.onFrame(frame))
    } catch {
      // The socket keeps reconnecting; the call resumes when it opens.
    }
    return true
  }

  /** Answer the questions the call waits on; the analysis goes on with them. */
  answer(answers: Record<string, string>): void {
    this.reply({ answers })
  }

  /** Go on without answering: the analysis states its assumptions. */
  skip(): void {
    this.reply({ skip: true })
  }

  private reply(reply: { answers: Record<string, string> } | { skip: true }): void {
    if (!this.state.requestId || this.state.phase !== 'awaiting_input') return
    if (!this.socket.clarify(this.state.requestId, reply)) {
      this.set({ clarifyError: 'Not connected right now: your answer was not sent. Try again in a moment.' })
      return
    }
    this.set({ phase: 'running', clarifyError: null, status: 'Sending your answer…' })
  }

  cancel(): void {
    if (this.state.requestId && this.active) {
      this.socket.cancel(this.state.requestId)
      this.set({ status: 'Cancelling…' })
    }
  }

  /** Clear the screen for a new call (after it was logged, or on demand). */
  clear(): void {
    if (this.state.requestId && this.active) this.socket.forget(this.state.requestId)
    this.forgetStored()
    this.reset(this.state.prompt, this.state.timezone)
    this.set({})
  }

  get active(): boolean {
    return this.state.phase === 'starting' || this.state.phase === 'running' || this.state.phase === 'awaiting_input'
  }

  private onFrame(frame: ServerFrame): void {
    // The run went on (answered here, in another tab, or by the timeout): the questions are done.
    if (frame.seq > 0 && frame.type !== 'clarify' && this.state.phase === 'awaiting_input') {
      this.set({ phase: 'running', clarifyError: null })
    }
    switch (frame.type) {
      case 'status':
        if (frame.status === 'restarted') {
          this.builder = new DraftBuilder()
          this.text = ''
          this.set({ transcript: [], tools: [], liveLine: '', draft: this.builder.draft })
        }
        if (frame.status !== 'pong') this.set({ status: frame.message })
        if (frame.status === 'cancelled') this.set({ phase: 'cancelled', status: 'Cancelled — nothing saved.' })
        break
      case 'text':
        this.onText(frame.content)
        break
      case 'tool':
        this.set(withTool(this.state, frame))
        break
      case 'complete':
        this.set({
          phase: 'complete',
          result: frame,
          status: 'Analysis complete.',
          liveLine: lastLine(proseOf(this.text)),
        })
        break
      case 'clarify':
        this.set({ phase: 'awaiting_input', clarify: frame, clarifyError: null, status: 'A quick question before going on.' })
        break
      case 'error':
        if (frame.seq === 0 && this.state.clarify && this.state.phase !== 'complete') {
          // The answer was refused (e.g. too long); the call still waits for one.
          this.set({ phase: 'awaiting_input', clarifyError: frame.message })
          break
        }
        this.set({
          phase: 'error',
          status: '',
          error: { code: frame.code, message: frame.message, retryAfter: frame.retry_after },
        })
        if (frame.seq === 0) this.forgetStored() // refused: there is no call to come back to
        break
    }
    if (isTerminal(frame) && frame.type !== 'complete' && frame.type !== 'error') this.forgetStored()
  }

  private onText(content: string): void {
    this.text += content
    this.set({
      transcript: withText(this.state.transcript, content),
      draft: this.builder.push(content),
      liveLine: lastLine(proseOf(this.text)),
    })
  }

  private remember(stored: Stored): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(stored))
    } catch {
      // Storage full or disabled: the call still works, it just won't survive a reload.
    }
  }

  private recall(): Stored | null {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY)
      const data = raw ? (JSON.parse(raw) as Partial<Stored>) : null
      if (data && typeof data.requestId === 'string' && typeof data.prompt === 'string' && typeof data.timezone === 'string') {
        return { requestId: data.requestId, prompt: data.prompt, timezone: data.timezone }
      }
    } catch {
      // unreadable: start fresh
    }
    return null
  }

  private forgetStored(): void {
    try {
      this.storage?.removeItem(STORAGE_KEY)
    } catch {
      // ignore
    }
  }
}
