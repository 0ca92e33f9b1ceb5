import { useCallback, useEffect, useState } from 'react'
import { countdown, formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import type { PredictionStatus, SavedPrediction } from '../types'
import { errorMessage, RetryAlert } from './RetryAlert'

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
  // Starts as loading: the effect below fetches the first page on mount.
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)

  // Every state update here happens once the request settles, so the effect below only starts it;
  // the event handlers that trigger a fetch show "Loading…" and clear the old error themselves.
  const fetchPage = useCallback(
    (from: string | null, reset: boolean) =>
      api
        .list({ status: filter, cursor: from })
        .then(
          (page) => {
            setItems((current) => (reset ? page.items : [...current, ...page.items]))
            setCursor(page.next_cursor)
          },
          (e: unknown) => setError(errorMessage(e, 'Could not load your calls.')),
        )
        .finally(() => setLoading(false)),
    [api, filter],
  )

  useEffect(() => {
    void fetchPage(null, true)
  }, [fetchPage])

  function load(from: string | null, reset: boolean) {
    setLoading(true)
    setError(null)
    return fetchPage(from, reset)
  }

  function changeFilter(next: PredictionStatus | '') {
    setFilter(next) // the effect fetches the first page for the new filter
    setLoading(true)
    setError(null)
  }

  return (
    <section aria-labelledby="my-calls-title">
      <h2 id="my-calls-title">My Calls</h2>
      <label htmlFor="status-filter">Show</label>{' '}
      <select id="status-filter" value={filter} onChange={(e) => changeFilter(e.target.value as PredictionStatus | '')}>
        {FILTERS.map((f) => <option key={f.value} value={f.value}>{f.label}</option>)}
      </select>
      {error && <RetryAlert message={error} onRetry={() => load(null, true)} />}
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
