import { useId, useState } from 'react'
import { MAX_NOTE_CHARS } from '../protocol.gen'
import type { PredictionService } from '../services/predictions'
import { OUTCOME_LABELS, OUTCOMES, type Outcome, type SavedPrediction } from '../types'
import { errorMessage } from './RetryAlert'

interface Props {
  item: SavedPrediction
  api: PredictionService
  onDone: (updated: SavedPrediction) => void
  legend?: string
  submitLabel?: string
}

/** The user's own outcome: judges a call without a verdict, or overrides a proposed one. */
export function OutcomeForm({ item, api, onDone, legend = 'What happened?', submitLabel = 'Record outcome' }: Props) {
  const [outcome, setOutcome] = useState<Outcome | ''>('')
  const [note, setNote] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const id = useId()

  async function save() {
    if (!outcome) return
    setSaving(true)
    setError(null)
    try {
      onDone(await api.override(item.prediction_id, outcome, note))
    } catch (e) {
      setError(errorMessage(e, 'Could not record the outcome.'))
    } finally {
      setSaving(false)
    }
  }

  return (
    <form
      className="outcome-form"
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <fieldset>
        <legend>{legend}</legend>
        {OUTCOMES.map((value) => (
          <label key={value} className="radio">
            <input type="radio" name={`${id}-outcome`} value={value} checked={outcome === value} onChange={() => setOutcome(value)} />
            {OUTCOME_LABELS[value]}
          </label>
        ))}
      </fieldset>
      <label htmlFor={`${id}-note`}>Note (optional)</label>
      <input id={`${id}-note`} value={note} maxLength={MAX_NOTE_CHARS} onChange={(e) => setNote(e.target.value)} />
      <button type="submit" className="primary" disabled={!outcome || saving}>{saving ? 'Saving…' : submitLabel}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  )
}
