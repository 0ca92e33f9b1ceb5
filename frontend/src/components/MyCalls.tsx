import { useCallback, useEffect, useState } from 'react'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import type { Outcome, PredictionStatus, SavedPrediction } from '../types'
import { CallItem } from './CallItem'
import { errorMessage, RetryAlert } from './RetryAlert'

interface Filter {
  value: string
  label: string
  status?: PredictionStatus
  outcome?: Outcome
}

const FILTERS: Filter[] = [
  { value: '', label: 'All' },
  { value: 'proposed', label: 'Verdict to confirm', status: 'proposed' },
  { value: 'pending', label: 'Pending', status: 'pending' },
  { value: 'verifying', label: 'Being checked', status: 'verifying' },
  { value: 'true', label: 'Came true', outcome: 'true' },
  { value: 'false', label: 'Did not happen', outcome: 'false' },
  { value: 'inconclusive', label: 'Inconclusive', outcome: 'inconclusive' },
]

/** Proposed verdicts first (they wait for the user), then the rest in the order loaded. */
export function proposedFirst(items: SavedPrediction[]): SavedPrediction[] {
  return [...items.filter((i) => i.status === 'proposed'), ...items.filter((i) => i.status !== 'proposed')]
}

/** Replace the item with the same id (after a confirm, override or verification). */
export function replaceItem(items: SavedPrediction[], updated: SavedPrediction): SavedPrediction[] {
  return items.map((i) => (i.prediction_id === updated.prediction_id ? updated : i))
}

/** The user's calls, newest first (verdicts to confirm on top), paginated, filterable. */
export function MyCalls({ api, socket, refreshKey = 0 }: { api: PredictionService; socket: WebSocketService; refreshKey?: number }) {
  const [filter, setFilter] = useState('')
  const [items, setItems] = useState<SavedPrediction[]>([])
  const [waiting, setWaiting] = useState<SavedPrediction[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  // Starts as loading: the effect below fetches the first page on mount.
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)

  // Every state update here happens once the request settles, so the effect below only starts it;
  // the event handlers that trigger a fetch show "Loading…" and clear the old error themselves.
  const fetchPage = useCallback(
    (from: string | null, reset: boolean) => {
      const chosen = FILTERS.find((f) => f.value === filter) ?? FILTERS[0]
      // On "All", verdicts waiting for the user are fetched on their own and shown first.
      const firstWaiting = reset && !filter ? api.list({ status: 'proposed', limit: 20 }) : null
      return Promise.all([api.list({ status: chosen.status, outcome: chosen.outcome, cursor: from }), firstWaiting])
        .then(
          ([page, proposed]) => {
            if (proposed) setWaiting(proposed.items)
            else if (reset) setWaiting([])
            setItems((current) => (reset ? page.items : [...current, ...page.items]))
            setCursor(page.next_cursor)
          },
          (e: unknown) => setError(errorMessage(e, 'Could not load your calls.')),
        )
        .finally(() => setLoading(false))
    },
    [api, filter],
  )

  useEffect(() => {
    void fetchPage(null, true)
  }, [fetchPage, refreshKey])

  function load(from: string | null, reset: boolean) {
    setLoading(true)
    setError(null)
    return fetchPage(from, reset)
  }

  function changeFilter(next: string) {
    setFilter(next) // the effect fetches the first page for the new filter
    setLoading(true)
    setError(null)
  }

  const onChange = useCallback((updated: SavedPrediction) => {
    setItems((current) => replaceItem(current, updated))
    setWaiting((current) => replaceItem(current, updated))
  }, [])

  const waitingIds = new Set(waiting.map((i) => i.prediction_id))
  const shown = proposedFirst([...waiting, ...items.filter((i) => !waitingIds.has(i.prediction_id))])

  return (
    <section aria-labelledby="my-calls-title">
      <h2 id="my-calls-title">My Calls</h2>
      <label htmlFor="status-filter">Show</label>{' '}
      <select id="status-filter" value={filter} onChange={(e) => changeFilter(e.target.value)}>
        {FILTERS.map((f) => <option key={f.value} value={f.value}>{f.label}</option>)}
      </select>
      {error && <RetryAlert message={error} onRetry={() => load(null, true)} />}
      <ul className="calls">
        {shown.map((item) => <CallItem key={item.prediction_id} item={item} api={api} socket={socket} onChange={onChange} />)}
      </ul>
      {!loading && shown.length === 0 && !error && <p className="muted">{filter ? 'No calls match.' : 'No calls yet. Make one!'}</p>}
      {loading && <p role="status">Loading…</p>}
      {cursor && !loading && <button type="button" onClick={() => void load(cursor, false)}>Load more</button>}
    </section>
  )
}
