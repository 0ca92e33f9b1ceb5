import type { Prediction } from '../types'

/** The answers the user gave to the analysis' questions, saved with the call. */
export function Clarified({ items }: { items: Prediction['clarifications'] }) {
  if (items.length === 0) return null
  return (
    <ul className="clarified" aria-label="Clarified">
      {items.map((c, i) => (
        <li key={i}>Clarified: {c.question} <strong>{c.answer}</strong></li>
      ))}
    </ul>
  )
}
