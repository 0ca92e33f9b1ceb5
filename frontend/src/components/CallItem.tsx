import { useCallback, useState } from 'react'
import { countdown, formatLocal } from '../format'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import { OUTCOME_LABELS, type PredictionStatus, type SavedPrediction, type Verdict } from '../types'
import { OutcomeForm } from './OutcomeForm'
import { errorMessage } from './RetryAlert'
import { ShareControl } from './ShareControl'
import { TagsInput } from './TagsInput'
import { VerdictCard } from './VerdictCard'
import { Clarified } from './Clarified'
import { VerifiabilityMeter } from './VerifiabilityMeter'
import { VerifyNow } from './VerifyNow'

const STATUS_LABELS: Record<Exclude<PredictionStatus, 'resolved'>, string> = {
  pending: 'Pending',
  verifying: 'Being checked',
  proposed: 'Verdict to confirm',
}

export function StatusBadge({ item }: { item: Pick<SavedPrediction, 'status' | 'outcome'> }) {
  if (item.status === 'resolved' && item.outcome) {
    return <span className={`badge status-${item.outcome}`}>{OUTCOME_LABELS[item.outcome]}</span>
  }
  const status = item.status === 'resolved' ? 'pending' : item.status
  return <span className={`badge status-${status}`}>{STATUS_LABELS[status]}</span>
}

/** "Edit tags": the call's tags, saved on demand. */
function TagEditor({ item, api, onChange }: { item: SavedPrediction; api: PredictionService; onChange: (updated: SavedPrediction) => void }) {
  const [open, setOpen] = useState(false)
  const [tags, setTags] = useState(item.tags)
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)

  async function save() {
    setSaving(true)
    setError(null)
    try {
      onChange(await api.setTags(item.prediction_id, tags))
      setOpen(false)
    } catch (e) {
      setError(errorMessage(e, 'Could not save the tags.'))
    } finally {
      setSaving(false)
    }
  }

  if (!open) {
    return (
      <button type="button" className="link" onClick={() => { setTags(item.tags); setOpen(true) }}>
        Edit tags
      </button>
    )
  }
  return (
    <div className="tag-editor">
      <TagsInput id={`edit-tags-${item.prediction_id}`} value={tags} onChange={setTags} />
      <div className="actions">
        <button type="button" className="primary" disabled={saving} onClick={() => void save()}>Save tags</button>
        <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  )
}

function hasVerdict(item: SavedPrediction): item is SavedPrediction & { verdict: Verdict } {
  return item.verdict !== null
}

interface Props {
  item: SavedPrediction
  api: PredictionService
  socket: WebSocketService
  /** The item after a confirm, an override or a verification. */
  onChange: (updated: SavedPrediction) => void
  /** Offer "record the outcome yourself" for a pending call (the Due list). */
  judge?: boolean
}

/** One logged call: what it says, where it stands, its verdict, and what the user can do next. */
export function CallItem({ item, api, socket, onChange, judge = false }: Props) {
  const [shownAt] = useState(() => Date.now())
  const due = new Date(item.verification_date).getTime() <= shownAt
  const refresh = useCallback(() => {
    api.get(item.prediction_id).then(onChange, () => undefined) // the list's next load shows it anyway
  }, [api, item.prediction_id, onChange])
  const titleId = `call-${item.prediction_id}`
  return (
    <li className="card call" aria-labelledby={titleId}>
      <p className="statement" id={titleId}>“{item.prediction_statement}”</p>
      <p>
        <StatusBadge item={item} />{' '}
        {due ? 'Was due ' : 'Due '}
        <time dateTime={item.verification_date}>{formatLocal(item.verification_date)}</time>{' '}
        <span className="muted">({countdown(item.verification_date)})</span>
      </p>
      {item.status === 'resolved' && (
        <p className="muted">
          Resolved {item.resolved_by === 'agent' ? 'by the verifier' : 'by you'}
          {item.resolved_at && <> on <time dateTime={item.resolved_at}>{formatLocal(item.resolved_at)}</time></>}
          {item.outcome_note && <>. Note: {item.outcome_note}</>}
        </p>
      )}
      {(item.confidence !== null || item.tags.length > 0) && (
        <p className="meta">
          {item.confidence !== null && <span className="badge">{Math.round(item.confidence * 100)} % sure</span>}{' '}
          {item.tags.map((tag) => <span key={tag} className="badge tag">#{tag}</span>)}
        </p>
      )}
      <Clarified items={item.clarifications} />
      {item.verifiability && item.status !== 'resolved' && (
        <details className="checkable">
          <summary>How checkable: {Math.round(item.verifiability.score * 100)}%</summary>
          <VerifiabilityMeter value={item.verifiability} />
        </details>
      )}
      {hasVerdict(item) && <VerdictCard item={item} api={api} onChange={onChange} />}
      {(item.status === 'pending' || item.status === 'proposed') && (
        <VerifyNow predictionId={item.prediction_id} socket={socket} onVerdict={refresh} />
      )}
      {judge && item.status === 'pending' && <OutcomeForm item={item} api={api} onDone={onChange} legend="Or judge it yourself: what happened?" />}
      <TagEditor item={item} api={api} onChange={onChange} />
      <ShareControl item={item} api={api} onChange={onChange} />
    </li>
  )
}
