import { useCallback, useEffect, useState } from 'react'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import type { SavedPrediction } from '../types'
import { CallItem } from './CallItem'
import { replaceItem } from './MyCalls'
import { errorMessage, RetryAlert } from './RetryAlert'

/** Time to judge: proposed verdicts first (the server orders them), then pending calls past their date. */
export function DueList({ api, socket, refreshKey = 0 }: { api: PredictionService; socket: WebSocketService; refreshKey?: number }) {
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
  }, [fetchDue, refreshKey])

  function reload() {
    setError(null)
    return fetchDue()
  }

  // A settled call stays on screen with its result until the next load.
  const onChange = useCallback((updated: SavedPrediction) => setItems((current) => replaceItem(current, updated)), [])

  return (
    <section aria-labelledby="due-title">
      <h2 id="due-title">Time to judge</h2>
      {error && <RetryAlert message={error} onRetry={reload} />}
      {loaded && !error && items.length === 0 && <p className="muted">Nothing is due. Check back when a date passes.</p>}
      <ul className="calls">
        {items.map((item) => <CallItem key={item.prediction_id} item={item} api={api} socket={socket} onChange={onChange} judge />)}
      </ul>
    </section>
  )
}
