import type { ReactNode } from 'react'
import { formatLocal, formatUtc } from '../format'
import type { DraftList, DraftText, PredictionDraft } from '../stream/predictionDraft'
import { CATEGORY_LABELS, type Prediction, type Verifiability } from '../types'
import { Clarified } from './Clarified'
import { VerifiabilityMeter } from './VerifiabilityMeter'

export type CardState = 'streaming' | 'complete' | 'cancelled' | 'error'

interface Props {
  /** The final prediction (the `complete` frame): the source of truth once it arrives. */
  prediction: Prediction | null
  /** What the stream has shown so far; used until `prediction` arrives. */
  draft: PredictionDraft
  state: CardState
  model?: string
  timezone?: string
  verifiability?: Verifiability | null
  children?: ReactNode
}

const STATE_LABELS: Record<Exclude<CardState, 'complete'>, string> = {
  streaming: 'Building your call…',
  cancelled: 'Cancelled — nothing saved',
  error: 'Stopped — nothing saved',
}

function Pending({ what }: { what: string }) {
  return <span className="pending">{what}…</span>
}

function Text({ value, what }: { value: DraftText | string | undefined; what: string }) {
  if (value === undefined) return what ? <Pending what={what} /> : null
  if (typeof value === 'string') return <>{value}</>
  return <>{value.text}{value.partial && <span className="caret" aria-hidden="true">▍</span>}</>
}

function Items({ title, final, draft, ordered = false }: { title: string; final?: string[]; draft?: DraftList; ordered?: boolean }) {
  const Tag = ordered ? 'ol' : 'ul'
  const items: DraftText[] = final ? final.map((text) => ({ text, partial: false })) : draft?.items ?? []
  return (
    <section>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p className="muted"><Pending what="Coming" /></p>
      ) : (
        <Tag>{items.map((item, i) => <li key={i}><Text value={item} what="" /></li>)}</Tag>
      )}
    </section>
  )
}

/**
 * The structured prediction as a card that fills itself while the analysis streams: each field
 * appears as soon as it is safe to show (see stream/predictionDraft.ts), the rest shows a quiet
 * placeholder, and the final prediction replaces the draft. Never raw JSON.
 */
export function CallCard({ prediction, draft, state, model, timezone, verifiability, children }: Props) {
  const p = prediction
  const method = p?.verification_method
  const date = p?.verification_date ?? draft.verification_date
  const category = p?.verifiable_category ?? draft.verifiable_category
  return (
    <article className={`card prediction-card state-${state}`} aria-label="Structured prediction" aria-busy={state === 'streaming'}>
      {state !== 'complete' && <p className={`card-state ${state}`}>{STATE_LABELS[state]}</p>}
      <p className="statement">
        “<Text value={p?.prediction_statement ?? draft.prediction_statement} what="Reading your statement" />”
      </p>
      <dl>
        <dt>Verify on</dt>
        <dd>
          {date ? (
            <>
              <time dateTime={date}>{formatLocal(date, timezone || undefined)}</time>
              <span className="muted"> · {formatUtc(date)}</span>
            </>
          ) : (
            <Pending what="Resolving the date" />
          )}
        </dd>
        <dt>Why that date</dt>
        <dd><Text value={p?.date_reasoning ?? draft.date_reasoning} what="Waiting" /></dd>
        <dt>Category</dt>
        <dd>
          {category ? <span className="badge">{CATEGORY_LABELS[category]}</span> : <Pending what="Classifying" />}{' '}
          <Text value={p?.category_reasoning ?? draft.category_reasoning} what="" />
        </dd>
      </dl>
      <div className="method">
        <Items title="Sources" final={method?.source} draft={draft.verification_method.source} />
        <Items title="Criteria" final={method?.criteria} draft={draft.verification_method.criteria} />
        <Items title="Steps" final={method?.steps} draft={draft.verification_method.steps} ordered />
      </div>
      {p && <Clarified items={p.clarifications} />}
      {verifiability && <VerifiabilityMeter value={verifiability} />}
      {model && <p className="muted model">Analysed by <strong>{model}</strong></p>}
      {children}
    </article>
  )
}
