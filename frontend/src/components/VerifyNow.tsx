import { useEffect, useRef, useState } from 'react'
import { startVerify, type VerifyState } from '../services/verifyRun'
import type { WebSocketService } from '../services/websocket'
import { StreamPanel } from './StreamPanel'

interface Props {
  predictionId: string
  socket: WebSocketService
  /** The check ended with a verdict (already recorded by the server). */
  onVerdict: () => void
}

/** "Verify now": runs the verifier live, showing its steps, until the verdict arrives. */
export function VerifyNow({ predictionId, socket, onVerdict }: Props) {
  const [state, setState] = useState<VerifyState | null>(null)
  const run = useRef<ReturnType<typeof startVerify> | null>(null)
  const active = state?.phase === 'starting' || state?.phase === 'running'

  useEffect(() => () => run.current?.forget(), [])
  useEffect(() => {
    if (state?.phase === 'done') onVerdict()
  }, [state?.phase, onVerdict])

  return (
    <div className="verify-now">
      {!active && (
        <button type="button" onClick={() => (run.current = startVerify(socket, predictionId, setState))}>
          {state ? 'Verify again' : 'Verify now'}
        </button>
      )}
      {active && <button type="button" onClick={() => run.current?.cancel()}>Stop checking</button>}
      {state && state.phase !== 'done' && <StreamPanel state={state} noun="check" />}
      {state?.error && <p role="alert" className="error">{state.error.message}</p>}
    </div>
  )
}
