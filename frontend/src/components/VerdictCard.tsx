import { useState } from 'react'
import { formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import { OUTCOME_LABELS, type Evidence, type SavedPrediction, type Verdict } from '../types'
import { OutcomeForm } from './OutcomeForm'
import { errorMessage } from './RetryAlert'

/** Only http(s) links are followed: evidence URLs come from pages the agent read. */
function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null
  } catch {
    return null
  }
}

function EvidenceList({ evidence }: { evidence: Evidence[] }) {
  if (evidence.length === 0) return <p className="muted">No evidence found.</p>
  return (
    <ul className="evidence">
      {evidence.map((e, i) => {
        const href = safeUrl(e.url)
        return (
          <li key={i}>
            <strong>{href ? <a href={href} target="_blank" rel="noopener noreferrer">{e.source}</a> : e.source}</strong>: {e.finding}
          </li>
        )
      })}
    </ul>
  )
}

export function VerdictSummary({ verdict }: { verdict: Verdict }) {
  const percent = Math.round(verdict.confidence * 100)
  return (
    <>
      <p>
        <span className={`badge status-${verdict.outcome}`}>{OUTCOME_LABELS[verdict.outcome]}</span>{' '}
        <span>{percent}% confident</span>{' '}
        <meter min={0} max={100} value={percent} aria-label="Verifier confidence">{percent}%</meter>
      </p>
      <h4>Evidence</h4>
      <EvidenceList evidence={verdict.evidence} />
      <h4>Reasoning</h4>
      <p>{verdict.reasoning}</p>
      <p className="muted">
        Checked {formatLocal(verdict.checked_at)} by {verdict.model}
        {verdict.mode === 'before_date' && ' (an early check: a “by” call can only be refuted once its date has passed)'}
      </p>
    </>
  )
}

interface Props {
  item: SavedPrediction & { verdict: Verdict }
  api: PredictionService
  onChange: (updated: SavedPrediction) => void
}

/** The latest verdict; while it is proposed, Confirm or Override settle the call in one tap. */
export function VerdictCard({ item, api, onChange }: Props) {
  const [overriding, setOverriding] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const proposed = item.status === 'proposed'

  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      onChange(await api.confirm(item.prediction_id))
    } catch (e) {
      setError(errorMessage(e, 'Could not confirm the verdict.'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="verdict" aria-label="Verdict">
      <h3>{proposed ? 'Proposed verdict' : 'Verdict'}</h3>
      <VerdictSummary verdict={item.verdict} />
      {proposed && (
        <div className="actions">
          <button type="button" className="primary" disabled={busy} onClick={() => void confirm()}>
            Confirm: {OUTCOME_LABELS[item.verdict.outcome]}
          </button>
          <button type="button" aria-expanded={overriding} onClick={() => setOverriding(!overriding)}>
            Override
          </button>
        </div>
      )}
      {proposed && overriding && (
        <OutcomeForm item={item} api={api} onDone={onChange} legend="What really happened?" submitLabel="Save my outcome" />
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  )
}
