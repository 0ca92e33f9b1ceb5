import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { browserTimeZone } from '../format'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import type { CompleteFrame, ServerFrame, ToolFrame } from '../types'
import { LogCallButton } from './LogCallButton'
import { PredictionCard } from './PredictionCard'

const MAX_CHARS = 2000

interface Props {
  socket: WebSocketService
  api: PredictionService
  onSaved: () => void
}

interface Chip {
  id: string
  label: string
  status: ToolFrame['status']
}

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  return intl.supportedValuesOf?.('timeZone') ?? []
}

/** Type a prediction, watch the analysis stream in, then log the structured call. */
export function MakeCall({ socket, api, onSaved }: Props) {
  const [prompt, setPrompt] = useState('')
  const [timezone, setTimezone] = useState(browserTimeZone)
  const [requestId, setRequestId] = useState<string | null>(null)
  const [running, setRunning] = useState(false)
  const [status, setStatus] = useState('')
  const [text, setText] = useState('')
  const [chips, setChips] = useState<Chip[]>([])
  const [result, setResult] = useState<CompleteFrame | null>(null)
  const [error, setError] = useState<string | null>(null)
  const zones = useMemo(timeZones, [])
  const textRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    textRef.current?.scrollTo?.({ top: textRef.current.scrollHeight })
  }, [text])

  function onFrame(frame: ServerFrame) {
    switch (frame.type) {
      case 'status':
        setStatus(frame.message)
        if (frame.status === 'cancelled') setRunning(false)
        if (frame.status === 'resumed' && frame.message.includes('restarting')) {
          setText('')
          setChips([])
        }
        break
      case 'text':
        setText((current) => current + frame.content)
        break
      case 'tool':
        setChips((current) => {
          const others = current.filter((chip) => chip.id !== frame.tool_use_id)
          return [...others, { id: frame.tool_use_id, label: frame.label || frame.name, status: frame.status }]
        })
        break
      case 'complete':
        setResult(frame)
        setStatus('Analysis complete.')
        setRunning(false)
        break
      case 'error':
        setError(frame.message)
        setStatus('')
        setRunning(false)
        break
    }
  }

  async function start(event?: FormEvent) {
    event?.preventDefault()
    const trimmed = prompt.trim()
    if (!trimmed) {
      setError('Type a prediction first.')
      return
    }
    setError(null)
    setResult(null)
    setText('')
    setChips([])
    setStatus('Connecting…')
    setRunning(true)
    try {
      setRequestId(await socket.makeCall(trimmed, timezone.trim() || 'UTC', onFrame))
    } catch (e) {
      setRunning(false)
      setStatus('')
      setError(e instanceof Error ? e.message : 'Could not start the call.')
    }
  }

  return (
    <section aria-labelledby="make-call-title">
      <h2 id="make-call-title">Make a Call</h2>
      <form onSubmit={start} className="card">
        <label htmlFor="prompt">Your prediction</label>
        <textarea
          id="prompt"
          value={prompt}
          maxLength={MAX_CHARS}
          rows={3}
          placeholder="The S&P 500 will close above 7000 by March 2027"
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void start()
          }}
        />
        <p className="muted counter">{prompt.length} / {MAX_CHARS}</p>
        <label htmlFor="timezone">Your timezone</label>
        <input id="timezone" list="timezones" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
        <datalist id="timezones">{zones.map((zone) => <option key={zone} value={zone} />)}</datalist>
        <div className="actions">
          <button type="submit" className="primary" disabled={running}>{running ? 'Analysing…' : 'Make Call'}</button>
          {running && requestId && (
            <button type="button" onClick={() => socket.cancel(requestId)}>Cancel</button>
          )}
        </div>
      </form>

      {(running || text || status) && (
        <div className="card stream">
          <p className="status" role="status" aria-live="polite">{status}</p>
          <ul className="chips" aria-label="Tools used">
            {chips.map((chip) => (
              <li key={chip.id} className={`chip ${chip.status}`}>
                {chip.label}{chip.status === 'running' ? '…' : chip.status === 'success' ? ' ✓' : ' ✗'}
              </li>
            ))}
          </ul>
          <div className="stream-text" ref={textRef} aria-live="polite" aria-label="Analysis">{text}</div>
        </div>
      )}

      {error && (
        <p role="alert" className="error">
          {error} <button type="button" onClick={() => void start()}>Retry</button>
        </p>
      )}

      {result && requestId && (
        <PredictionCard prediction={result.prediction} model={result.model}>
          <LogCallButton api={api} requestId={requestId} prediction={result.prediction} model={result.model}
            timezone={timezone} onSaved={onSaved} />
        </PredictionCard>
      )}
    </section>
  )
}
