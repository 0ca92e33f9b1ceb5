import { useCallback, useEffect, useState } from 'react'
import { countdown, formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import type { SavedPrediction } from '../types'

type Outcome = 'true' | 'false' | 'inconclusive'

function Judge({ item, api, onDone }: { item: SavedPrediction; api: PredictionService; onDone: () => void }) {
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
      onDone()
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not record the outcome.')
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
      <input id={`note-${item.prediction_id}`} value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
      <button type="button" className="primary" disabled={!outcome || saving} onClick={record}>Record outcome</button>
      {error && <p role="alert" className="error">{error}</p>}
    </li>
  )
}

/** Pending calls whose date has passed: time to record what happened. */
export function DueList({ api }: { api: PredictionService }) {
  const [items, setItems] = useState<SavedPrediction[]>([])
  const [error, setError] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)

  const load = useCallback(async () => {
    setError(null)
    try {
      setItems((await api.due()).items)
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not load the due list.')
    } finally {
      setLoaded(true)
    }
  }, [api])

  useEffect(() => {
    void load()
  }, [load])

  return (
    <section aria-labelledby="due-title">
      <h2 id="due-title">Time to judge</h2>
      {error && <p role="alert" className="error">{error} <button type="button" onClick={() => void load()}>Retry</button></p>}
      {loaded && !error && items.length === 0 && <p className="muted">Nothing is due. Check back when a date passes.</p>}
      <ul className="calls">{items.map((item) => <Judge key={item.prediction_id} item={item} api={api} onDone={load} />)}</ul>
    </section>
  )
}
