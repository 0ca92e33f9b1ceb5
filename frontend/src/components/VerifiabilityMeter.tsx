import { useId } from 'react'
import type { Verifiability } from '../protocol.gen'

const NAMES: Record<Verifiability['dimensions'][number]['name'], string> = {
  time_bound: 'Time-bound',
  measurable: 'Measurable',
  public_source: 'Public source',
  objectivity: 'Objective',
}

function percent(score: number): number {
  return Math.round(score * 100)
}

/** How checkable the call is: a meter, each dimension with its reason, and tips to raise it. */
export function VerifiabilityMeter({ value }: { value: Verifiability }) {
  const id = useId()
  const score = percent(value.score)
  return (
    <section className="verifiability" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>How checkable: {score}%</h3>
      <meter min={0} max={100} low={50} high={80} optimum={100} value={score} aria-labelledby={`${id}-title`}>
        {score}%
      </meter>
      <ul className="dimensions">
        {value.dimensions.map((d) => (
          <li key={d.name}>
            <strong>{NAMES[d.name]}</strong> {percent(d.score)}%: {d.reason}
          </li>
        ))}
      </ul>
      {value.tips.length > 0 && (
        <>
          <h4>To make it easier to check</h4>
          <ul className="tips">{value.tips.map((tip) => <li key={tip}>{tip}</li>)}</ul>
        </>
      )}
    </section>
  )
}
