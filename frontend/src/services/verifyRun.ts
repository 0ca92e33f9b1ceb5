// One "Verify now": the verification agent streams over the WebSocket (prose, tool chips such as
// fetch_url and web_search) and ends with a verdict frame; the server has recorded the verdict by then.
import type { ErrorCode, ServerFrame, VerdictFrame } from '../protocol.gen'
import { EMPTY_LOG, lastLine, proseOf, withText, withTool, type StreamLog } from './streamLog'
import type { WebSocketService } from './websocket'

export type VerifyPhase = 'starting' | 'running' | 'done' | 'error' | 'cancelled'

export interface VerifyState extends StreamLog {
  phase: VerifyPhase
  verdict: VerdictFrame | null
  error: { code: ErrorCode | 'client'; message: string } | null
}

const BARE_VERDICT = /\{\s*"outcome"/

/** Start verifying; `onChange` gets every new state. Returns a handle to stop following (or cancel). */
export function startVerify(
  socket: WebSocketService,
  predictionId: string,
  onChange: (state: VerifyState) => void,
): { cancel(): void; forget(): void } {
  let state: VerifyState = { ...EMPTY_LOG, status: 'Starting the check…', phase: 'starting', verdict: null, error: null }
  let text = ''
  let requestId: string | null = null
  let followed = true
  const set = (patch: Partial<VerifyState>) => {
    state = { ...state, ...patch }
    onChange(state)
  }
  const onFrame = (frame: ServerFrame) => {
    switch (frame.type) {
      case 'status':
        if (frame.status === 'restarted') {
          text = ''
          set({ ...EMPTY_LOG })
        }
        if (frame.status === 'cancelled') set({ phase: 'cancelled', status: 'Check cancelled. Nothing changed.' })
        else if (frame.status !== 'pong') set({ status: frame.message, phase: state.phase === 'starting' ? 'running' : state.phase })
        break
      case 'text':
        text += frame.content
        set({ transcript: withText(state.transcript, frame.content), liveLine: lastLine(proseOf(text, BARE_VERDICT)) })
        break
      case 'tool':
        set(withTool(state, frame))
        break
      case 'verdict':
        set({ phase: 'done', verdict: frame, status: 'Check complete.' })
        break
      case 'error':
        set({ phase: 'error', status: '', error: { code: frame.code, message: frame.message } })
        break
    }
  }
  onChange(state)
  socket.verify(predictionId, onFrame).then(
    (id) => {
      requestId = id
      if (!followed) socket.forget(id)
    },
    (e: unknown) => set({ phase: 'error', status: '', error: { code: 'client', message: e instanceof Error ? e.message : 'Could not start the check.' } }),
  )
  return {
    cancel: () => {
      if (requestId && (state.phase === 'starting' || state.phase === 'running')) {
        socket.cancel(requestId)
        set({ status: 'Cancelling…' })
      }
    },
    forget: () => {
      followed = false
      if (requestId) socket.forget(requestId)
    },
  }
}
