import type { ReactNode } from 'react'
import { formatLocal, formatUtc } from '../format'
import { CATEGORY_LABELS, type Prediction } from '../types'

interface Props {
  prediction: Prediction
  model: string
  children?: ReactNode
}

function List({ title, items, ordered = false }: { title: string; items: string[]; ordered?: boolean }) {
  const Tag = ordered ? 'ol' : 'ul'
  return (
    <section>
      <h3>{title}</h3>
      <Tag>{items.map((item, i) => <li key={i}>{item}</li>)}</Tag>
    </section>
  )
}

/** The structured prediction as a readable card (never raw JSON). */
export function PredictionCard({ prediction, model, children }: Props) {
  const method = prediction.verification_method
  return (
    <article className="card prediction-card" aria-label="Structured prediction">
      <p className="statement">“{prediction.prediction_statement}”</p>
      <dl>
        <dt>Verify on</dt>
        <dd>
          <time dateTime={prediction.verification_date}>{formatLocal(prediction.verification_date)}</time>
          <span className="muted"> · {formatUtc(prediction.verification_date)}</span>
        </dd>
        <dt>Why that date</dt>
        <dd>{prediction.date_reasoning}</dd>
        <dt>Category</dt>
        <dd>
          <span className="badge">{CATEGORY_LABELS[prediction.verifiable_category] ?? prediction.verifiable_category}</span>{' '}
          {prediction.category_reasoning}
        </dd>
      </dl>
      <div className="method">
        <List title="Sources" items={method.source} />
        <List title="Criteria" items={method.criteria} />
        <List title="Steps" items={method.steps} ordered />
      </div>
      <p className="muted model">Analysed by <strong>{model}</strong></p>
      {children}
    </article>
  )
}
