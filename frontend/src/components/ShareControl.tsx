import { useState } from 'react'
import type { PredictionService } from '../services/predictions'
import type { SavedPrediction } from '../types'
import { errorMessage } from './RetryAlert'

/** Share a call as a public receipt (statement, dates, confidence, outcome: nothing private), or stop. */
export function ShareControl({ item, api, onChange }: { item: SavedPrediction; api: PredictionService; onChange: (updated: SavedPrediction) => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)
  const url = item.share_token ? api.receiptUrl(item.share_token) : null

  async function run(action: () => Promise<SavedPrediction>) {
    setBusy(true)
    setError(null)
    setCopied(false)
    try {
      onChange(await action())
    } catch (e) {
      setError(errorMessage(e, 'Could not change sharing.'))
    } finally {
      setBusy(false)
    }
  }

  async function copy() {
    if (!url) return
    try {
      await navigator.clipboard.writeText(url)
      setCopied(true)
    } catch {
      setError('Copy did not work here: select the link and copy it.')
    }
  }

  return (
    <div className="share">
      {url ? (
        <>
          <p>
            Public receipt: <a href={url} target="_blank" rel="noopener noreferrer">{url}</a>
          </p>
          <div className="actions">
            <button type="button" onClick={() => void copy()}>Copy link</button>
            <button
              type="button"
              disabled={busy}
              onClick={() => void run(async () => (await api.revokeShare(item.prediction_id), { ...item, share_token: null }))}
            >
              Stop sharing
            </button>
          </div>
          <p role="status" className="muted">{copied ? 'Link copied.' : ''}</p>
        </>
      ) : (
        <button
          type="button"
          disabled={busy}
          onClick={() => void run(async () => ({ ...item, share_token: (await api.share(item.prediction_id)).token }))}
        >
          Share a receipt
        </button>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  )
}
