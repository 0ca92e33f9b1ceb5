import { useState } from 'react'
import type { PredictionService } from '../services/predictions'
import type { Prediction } from '../types'
import { ConfidenceInput } from './ConfidenceInput'
import { errorMessage, RetryAlert } from './RetryAlert'
import { TagsInput } from './TagsInput'

interface Props {
  api: PredictionService
  requestId: string
  prediction: Prediction
  model: string
  timezone: string
  onSaved: () => void
}

/** Saves the prediction with the user's confidence and tags (idempotent on the call's request id),
 * then hands over to My Calls. */
export function LogCallButton({ api, requestId, prediction, model, timezone, onSaved }: Props) {
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [confidence, setConfidence] = useState<number | null>(null)
  const [tags, setTags] = useState<string[]>([])

  async function save() {
    setSaving(true)
    setError(null)
    try {
      await api.save(requestId, prediction, model, timezone, {
        confidence: confidence === null ? null : confidence / 100,
        tags,
      })
      onSaved()
    } catch (e) {
      setError(errorMessage(e, 'Could not save the call.'))
    } finally {
      setSaving(false)
    }
  }

  return (
    <div className="log-call">
      <ConfidenceInput id={`confidence-${requestId}`} value={confidence} onChange={setConfidence} />
      <TagsInput id={`tags-${requestId}`} value={tags} onChange={setTags} />
      <div className="actions">
        <button type="button" className="primary" onClick={() => void save()} disabled={saving}>
          {saving ? 'Saving…' : 'Log Call'}
        </button>
      </div>
      {error && <RetryAlert message={error} onRetry={save} />}
    </div>
  )
}
