import { useCallback, useEffect, useState } from 'react'
import { countdown, formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import type { PredictionStatus, SavedPrediction } from '../types'

const FILTERS: { value: PredictionStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'pending', label: 'Pending' },
  { value: 'true', label: 'Came true' },
  { value: 'false', label: 'Did not happen' },
  { value: 'inconclusive', label: 'Inconclusive' },
]

export function StatusBadge({ status }: { status: PredictionStatus }) {
  const label = FILTERS.find((f) => f.value === status)?.label ?? status
  return <span className={`badge status-${status}`}>{label}</span>
}

/** The user's calls, newest first, paginated, filterable by status. */
export function MyCalls({ api }: { api: PredictionService }) {
  const [filter, setFilter] = useState<PredictionStatus | ''>('')
  const [items, setItems] = useState<SavedPrediction[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const load = useCallback(async (from: string | null, reset: boolean) => {
    setLoading(true)
    setError(null)
    try {
      const page = await api.list({ status: filter, cursor: from })
      setItems((current) => (reset ? page.items : [...current, ...page.items]))
      setCursor(page.next_cursor)
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not load your calls.')
    } finally {
      setLoading(false)
    }
  }, [api, filter])

  useEffect(() => {
    void load(null, true)
  }, [load])

  return (
    <section aria-labelledby="my-calls-title">
      <h2 id="my-calls-title">My Calls</h2>
      <label htmlFor="status-filter">Show</label>{' '}
      <select id="status-filter" value={filter} onChange={(e) => setFilter(e.target.value as PredictionStatus | '')}>
        {FILTERS.map((f) => <option key={f.value} value={f.value}>{f.label}</option>)}
      </select>
      {error && <p role="alert" className="error">{error} <button type="button" onClick={() => void load(null, true)}>Retry</button></p>}
      <ul className="calls">
        {items.map((item) => (
          <li key={item.prediction_id} className="card call">
            <p className="statement">“{item.prediction_statement}”</p>
            <p>
              <StatusBadge status={item.status} />{' '}
              <time dateTime={item.verification_date}>{formatLocal(item.verification_date)}</time>{' '}
              <span className="muted">({countdown(item.verification_date)})</span>
            </p>
            {item.outcome_note && <p className="muted">Note: {item.outcome_note}</p>}
          </li>
        ))}
      </ul>
      {!loading && items.length === 0 && !error && <p className="muted">No calls yet. Make one!</p>}
      {loading && <p role="status">Loading…</p>}
      {cursor && !loading && <button type="button" onClick={() => void load(cursor, false)}>Load more</button>}
    </section>
  )
}
