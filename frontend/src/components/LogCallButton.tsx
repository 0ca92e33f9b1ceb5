import { useState } from 'react'
import type { PredictionService } from '../services/predictions'
import type { Prediction } from '../types'
import { errorMessage, RetryAlert } from './RetryAlert'

interface Props {
  api: PredictionService
  requestId: string
  prediction: Prediction
  model: string
  timezone: string
  onSaved: () => void
}

/** Saves the prediction (idempotent on the call's request id) and hands over to My Calls. */
export function LogCallButton({ api, requestId, prediction, model, timezone, onSaved }: Props) {
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function save() {
    setSaving(true)
    setError(null)
    try {
      await api.save(requestId, prediction, model, timezone)
      onSaved()
    } catch (e) {
      setError(errorMessage(e, 'Could not save the call.'))
    } finally {
      setSaving(false)
    }
  }

  return (
    <div className="actions">
      <button type="button" className="primary" onClick={() => void save()} disabled={saving}>
        {saving ? 'Saving…' : 'Log Call'}
      </button>
      {error && <RetryAlert message={error} onRetry={save} />}
    </div>
  )
}
