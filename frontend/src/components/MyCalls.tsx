import { useCallback, useEffect, useState, type FormEvent } from 'react'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import { CATEGORY_LABELS, type Outcome, type PredictionStatus, type SavedPrediction, type VerifiableCategory } from '../types'
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
/** Start the browser's download of ``body`` as ``filename``. */
function download(filename: string, body: string, type: string) {
  const url = URL.createObjectURL(new Blob([body], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

function ExportButtons({ api }: { api: PredictionService }) {
  const [busy, setBusy] = useState<'csv' | 'json' | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function run(format: 'csv' | 'json') {
    setBusy(format)
    setError(null)
    try {
      const file = await api.exportAll(format)
      download(file.filename, file.body, format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json')
    } catch (e) {
      setError(errorMessage(e, 'Could not export your calls.'))
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="actions export">
      <button type="button" disabled={busy !== null} onClick={() => void run('csv')}>{busy === 'csv' ? 'Exporting…' : 'Export CSV'}</button>
      <button type="button" disabled={busy !== null} onClick={() => void run('json')}>{busy === 'json' ? 'Exporting…' : 'Export JSON'}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  )
}

export function MyCalls({ api, socket, refreshKey = 0 }: { api: PredictionService; socket: WebSocketService; refreshKey?: number }) {
  const [filter, setFilter] = useState('')
  const [category, setCategory] = useState<VerifiableCategory | ''>('')
  const [tag, setTag] = useState('')
  const [text, setText] = useState('')
  // What the list shows: the search form's values once submitted (typing does not refetch per key).
  const [query, setQuery] = useState({ tag: '', text: '' })
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
      const narrowed = Boolean(category || query.tag || query.text)
      // On "All", verdicts waiting for the user are fetched on their own and shown first.
      const firstWaiting = reset && !filter && !narrowed ? api.list({ status: 'proposed', limit: 20 }) : null
      const options = {
        status: chosen.status,
        outcome: chosen.outcome,
        cursor: from,
        ...(category ? { category } : {}),
        ...(query.tag ? { tag: query.tag } : {}),
        ...(query.text ? { q: query.text } : {}),
      }
      return Promise.all([api.list(options), firstWaiting])
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
    [api, filter, category, query],
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

  function changeCategory(next: VerifiableCategory | '') {
    setCategory(next)
    setLoading(true)
    setError(null)
  }

  function search(event: FormEvent) {
    event.preventDefault()
    const next = { tag: tag.trim().replace(/^#/, ''), text: text.trim() }
    if (next.tag === query.tag && next.text === query.text) return
    setQuery(next)
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
      <form className="filters" role="search" aria-label="Filter my calls" onSubmit={search}>
        <div>
          <label htmlFor="status-filter">Show</label>
          <select id="status-filter" value={filter} onChange={(e) => changeFilter(e.target.value)}>
            {FILTERS.map((f) => <option key={f.value} value={f.value}>{f.label}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="category-filter">Category</label>
          <select id="category-filter" value={category} onChange={(e) => changeCategory(e.target.value as VerifiableCategory | '')}>
            <option value="">Any</option>
            {(Object.keys(CATEGORY_LABELS) as VerifiableCategory[]).map((c) => <option key={c} value={c}>{CATEGORY_LABELS[c]}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="tag-filter">Tag</label>
          <input id="tag-filter" value={tag} maxLength={64} onChange={(e) => setTag(e.target.value)} placeholder="e.g. sport" />
        </div>
        <div>
          <label htmlFor="text-filter">Text</label>
          <input id="text-filter" type="search" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} placeholder="Words in the statement" />
        </div>
        <button type="submit">Search</button>
      </form>
      <ExportButtons api={api} />
      {error && <RetryAlert message={error} onRetry={() => load(null, true)} />}
      <ul className="calls">
        {shown.map((item) => <CallItem key={item.prediction_id} item={item} api={api} socket={socket} onChange={onChange} />)}
      </ul>
      {!loading && shown.length === 0 && !error && (
        <p className="muted">{filter || category || query.tag || query.text ? (cursor ? 'No matches in the calls read so far.' : 'No calls match.') : 'No calls yet. Make one!'}</p>
      )}
      {loading && <p role="status">Loading…</p>}
      {cursor && !loading && <button type="button" onClick={() => void load(cursor, false)}>Load more</button>}
    </section>
  )
}
