import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react'
import { browserTimeZone, formatLocal } from '../format'
import { MAX_PROMPT_CHARS } from '../protocol.gen'
import type { CallSession } from '../services/callSession'
import type { PredictionService } from '../services/predictions'
import { draftToPrediction } from '../stream/predictionDraft'
import { CallCard, type CardState } from './CallCard'
import { ClarifyForm } from './ClarifyForm'
import { LogCallButton } from './LogCallButton'
import { StreamPanel } from './StreamPanel'
import { allTimeZones, TimezonePicker } from './TimezonePicker'

interface Props {
  session: CallSession
  api: PredictionService
  onSaved: () => void
  /** Remembers the chosen timezone per user (e.g. the signed-in email). */
  userKey?: string
}

const ZONE_KEY = 'calledit.timezone.'

function rememberedZone(userKey: string | undefined): string {
  const zones = allTimeZones()
  try {
    const saved = userKey ? localStorage.getItem(ZONE_KEY + userKey) : null
    if (saved && zones.includes(saved)) return saved
  } catch {
    // storage disabled
  }
  const browser = browserTimeZone()
  return zones.includes(browser) ? browser : 'UTC'
}

function cardState(phase: string): CardState {
  if (phase === 'complete') return 'complete'
  if (phase === 'cancelled') return 'cancelled'
  if (phase === 'error') return 'error'
  return 'streaming'
}

/** Type a prediction, watch the card build itself as the analysis streams, then log the call. */
export function MakeCall({ session, api, onSaved, userKey }: Props) {
  const state = useSyncExternalStore(session.subscribe, session.getSnapshot)
  const [prompt, setPrompt] = useState(state.prompt)
  const [timezone, setTimezone] = useState(() => state.timezone || rememberedZone(userKey))
  const [formError, setFormError] = useState<string | null>(null)
  const draftAtCompletion = useRef(state.draft)
  const running = state.phase === 'starting' || state.phase === 'running' || state.phase === 'awaiting_input'

  // Announced once, when the card is complete (the live region's text changes only then).
  const ready = state.phase === 'complete' && state.result ? state.result.prediction : null
  const announcement = ready
    ? `Your call is ready: “${ready.prediction_statement}”, to be verified on ${formatLocal(ready.verification_date, state.timezone)}.`
    : ''
  useEffect(() => {
    if (state.phase !== 'complete' || !state.result) return
    const p = state.result.prediction
    if (import.meta.env.DEV) {
      const parsed = draftToPrediction(draftAtCompletion.current)
      const streamed: Partial<typeof p> = { ...p }
      delete streamed.verification_mode // set by CalledIt after the stream, never streamed
      delete streamed.clarifications
      if (parsed && JSON.stringify(parsed) !== JSON.stringify(streamed)) {
        console.warn('streamed draft and final prediction differ', { parsed, final: p })
      }
    }
  }, [state.phase, state.result, state.timezone])
  useEffect(() => {
    draftAtCompletion.current = state.draft
  }, [state.draft])

  function chooseZone(zone: string) {
    setTimezone(zone)
    try {
      if (userKey) localStorage.setItem(ZONE_KEY + userKey, zone)
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  }

  async function start(event?: FormEvent, text: string = prompt) {
    event?.preventDefault()
    const trimmed = text.trim()
    if (!trimmed) {
      setFormError('Type a prediction first.')
      return
    }
    setFormError(null)
    await session.start(trimmed, timezone)
  }

  const showStream = state.phase !== 'idle'
  const showCard = state.result !== null || state.draft.found
  return (
    <section aria-labelledby="make-call-title">
      <h2 id="make-call-title">Make a Call</h2>
      <form onSubmit={(e) => void start(e)} className="card">
        <label htmlFor="prompt">Your prediction</label>
        <textarea
          id="prompt"
          value={prompt}
          maxLength={MAX_PROMPT_CHARS}
          rows={3}
          placeholder="The S&P 500 will close above 7000 by March 2027"
          aria-describedby="prompt-counter"
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void start()
          }}
        />
        <p id="prompt-counter" className="muted counter">{prompt.length} / {MAX_PROMPT_CHARS}</p>
        <TimezonePicker id="timezone" label="Your timezone" value={timezone} onChange={chooseZone} />
        <div className="actions">
          <button type="submit" className="primary" disabled={running}>
            {state.phase === 'awaiting_input' ? 'Waiting for your answer…' : running ? 'Analysing…' : 'Make Call'}
          </button>
          {running && state.requestId && (
            <button type="button" onClick={() => session.cancel()}>Cancel</button>
          )}
        </div>
        {formError && <p role="alert" className="error">{formError}</p>}
      </form>

      {showStream && <StreamPanel state={state} />}

      {state.phase === 'awaiting_input' && state.clarify && (
        <ClarifyForm
          key={state.clarify.round}
          asked={state.clarify}
          error={state.clarifyError}
          onAnswer={(answers) => session.answer(answers)}
          onSkip={() => session.skip()}
        />
      )}

      {state.error && (
        <p role="alert" className="error">
          {state.error.message}{' '}
          <button type="button" onClick={() => void start(undefined, state.prompt || prompt)}>Retry</button>
        </p>
      )}
      {state.phase === 'cancelled' && !showCard && (
        <p className="muted">
          Cancelled — nothing saved.{' '}
          <button type="button" onClick={() => void start(undefined, state.prompt || prompt)}>Retry</button>
        </p>
      )}

      {showCard && (
        <CallCard
          prediction={state.result?.prediction ?? null}
          draft={state.draft}
          state={cardState(state.phase)}
          model={state.result?.model}
          timezone={state.timezone}
          verifiability={state.result?.verifiability}
        >
          {state.result && state.requestId && (
            <LogCallButton
              api={api}
              requestId={state.requestId}
              prediction={state.result.prediction}
              model={state.result.model}
              timezone={state.timezone}
              onSaved={() => {
                session.clear()
                setPrompt('')
                onSaved()
              }}
            />
          )}
          {state.phase === 'cancelled' && (
            <p className="actions">
              <button type="button" onClick={() => void start(undefined, state.prompt || prompt)}>Retry</button>
            </p>
          )}
        </CallCard>
      )}
      <p className="visually-hidden" aria-live="polite">{announcement}</p>
    </section>
  )
}
