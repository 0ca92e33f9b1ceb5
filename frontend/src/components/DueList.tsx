import { MAX_NOTE_CHARS } from '../protocol.gen'
import { useCallback, useEffect, useState } from 'react'
import { countdown, formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import type { SavedPrediction } from '../types'
import { errorMessage, RetryAlert } from './RetryAlert'

type Outcome = 'true' | 'false' | 'inconclusive'

function Judge({ item, api, onDone }: { item: SavedPrediction; api: PredictionService; onDone: () => unknown }) {
  const [outcome, setOutcome] = useState<Outcome | ''>('')
  const [note, setNote] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const group = `outcome-${item.prediction_id}`

  async function record() {
    if (!outcome) return
    setSaving(true)
    setError(null)
    try {
      await api.recordOutcome(item.prediction_id, outcome, note)
      void onDone()
    } catch (e) {
      setError(errorMessage(e, 'Could not record the outcome.'))
    } finally {
      setSaving(false)
    }
  }

  return (
    <li className="card call">
      <p className="statement">“{item.prediction_statement}”</p>
      <p className="muted">Was due {formatLocal(item.verification_date)} ({countdown(item.verification_date)})</p>
      <fieldset>
        <legend>What happened?</legend>
        {(['true', 'false', 'inconclusive'] as Outcome[]).map((value) => (
          <label key={value} className="radio">
            <input type="radio" name={group} value={value} checked={outcome === value} onChange={() => setOutcome(value)} />
            {value === 'true' ? 'It came true' : value === 'false' ? 'It did not' : 'Inconclusive'}
          </label>
        ))}
      </fieldset>
      <label htmlFor={`note-${item.prediction_id}`}>Note (optional)</label>
      <input id={`note-${item.prediction_id}`} value={note} maxLength={MAX_NOTE_CHARS} onChange={(e) => setNote(e.target.value)} />
      <button type="button" className="primary" disabled={!outcome || saving} onClick={() => void record()}>Record outcome</button>
      {error && <p role="alert" className="error">{error}</p>}
    </li>
  )
}

/** Pending calls whose date has passed: time to record what happened. */
export function DueList({ api }: { api: PredictionService }) {
  const [items, setItems] = useState<SavedPrediction[]>([])
  const [error, setError] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)

  // Every state update here happens once the request settles, so the effect below only starts it.
  const fetchDue = useCallback(
    () =>
      api
        .due()
        .then(
          (page) => {
            setItems(page.items)
            setError(null)
          },
          (e: unknown) => setError(errorMessage(e, 'Could not load the due list.')),
        )
        .finally(() => setLoaded(true)),
    [api],
  )

  useEffect(() => {
    void fetchDue()
  }, [fetchDue])

  /** Retry, or refresh after an outcome is recorded: the old error goes away at once. */
  function reload() {
    setError(null)
    return fetchDue()
  }

  return (
    <section aria-labelledby="due-title">
      <h2 id="due-title">Time to judge</h2>
      {error && <RetryAlert message={error} onRetry={reload} />}
      {loaded && !error && items.length === 0 && <p className="muted">Nothing is due. Check back when a date passes.</p>}
      <ul className="calls">{items.map((item) => <Judge key={item.prediction_id} item={item} api={api} onDone={reload} />)}</ul>
    </section>
  )
}
