import { useId, useState, type ChangeEvent } from 'react'
import './formControls.css'

/** Lowest and highest confidence a caller can give, in percent (0 and 100 would not be a forecast). */
export const MIN_CONFIDENCE = 1
export const MAX_CONFIDENCE = 99
/** The percentage offered when the caller first turns confidence on. */
export const DEFAULT_CONFIDENCE = 70

interface Props {
  /** Whole percent, 1–99, or null when the caller gives no confidence. */
  value: number | null
  /** Only ever called with a whole number 1–99, or null. */
  onChange: (value: number | null) => void
  /** Id of the on/off checkbox; the slider and number box get `${id}-range` and `${id}-number`. */
  id?: string
}

/** The whole number 1–99 that `text` spells, or null when it spells anything else. */
function parsePercent(text: string): number | null {
  const trimmed = text.trim()
  if (!/^\d+$/.test(trimmed)) return null
  const n = Number(trimmed)
  return n >= MIN_CONFIDENCE && n <= MAX_CONFIDENCE ? n : null
}

function clampPercent(value: number): number {
  return Math.min(MAX_CONFIDENCE, Math.max(MIN_CONFIDENCE, Math.round(value)))
}

/**
 * Optional "how sure are you it comes true" in percent. Off (null) by default; the checkbox turns it on
 * at 70 % (or the last value used) and shows a slider and a number box kept in step. The number box
 * lets you type anything but only reports whole numbers 1–99; anything else shows an error and the
 * last valid value stays.
 */
export function ConfidenceInput({ value, onChange, id }: Props) {
  const generated = useId()
  const base = id ?? `confidence-${generated}`
  const rangeId = `${base}-range`
  const numberId = `${base}-number`
  const noteId = `${base}-note`
  const errorId = `${base}-error`
  const summaryId = `${base}-summary`

  // What the number box shows while it holds text other than the committed value. `forValue` ties the
  // text to the value it was typed against, so a change from the slider or the parent replaces it.
  const [draft, setDraft] = useState<{ text: string; forValue: number } | null>(null)
  // Turning confidence off and on again brings back the value you had.
  const [remembered, setRemembered] = useState(DEFAULT_CONFIDENCE)

  const on = value !== null
  const shown = value === null ? null : clampPercent(value)
  const activeDraft = draft !== null && draft.forValue === value ? draft : null
  const invalid = activeDraft !== null && parsePercent(activeDraft.text) === null

  function toggle(event: ChangeEvent<HTMLInputElement>) {
    setDraft(null)
    if (event.target.checked) {
      onChange(remembered)
    } else {
      if (shown !== null) setRemembered(shown)
      onChange(null)
    }
  }

  function slide(event: ChangeEvent<HTMLInputElement>) {
    const parsed = parsePercent(event.target.value)
    setDraft(null)
    if (parsed !== null && parsed !== value) onChange(parsed)
  }

  function type(event: ChangeEvent<HTMLInputElement>) {
    const text = event.target.value
    const parsed = parsePercent(text)
    if (parsed === null) {
      if (value !== null) setDraft({ text, forValue: value })
      return
    }
    setDraft({ text, forValue: parsed })
    if (parsed !== value) onChange(parsed)
  }

  return (
    <fieldset className="fc-confidence">
      <legend>
        Confidence <span className="muted fc-optional">(optional)</span>
      </legend>
      <label className="fc-check" htmlFor={base}>
        <input id={base} type="checkbox" checked={on} onChange={toggle} aria-describedby={noteId} />
        Add my confidence
      </label>
      {shown !== null && (
        <div className="fc-confidence-controls">
          <label htmlFor={rangeId}>How sure are you that it comes true?</label>
          <div className="fc-confidence-row">
            <input
              id={rangeId}
              className="fc-range"
              type="range"
              min={MIN_CONFIDENCE}
              max={MAX_CONFIDENCE}
              step={1}
              value={shown}
              aria-valuetext={`${shown} percent`}
              aria-describedby={summaryId}
              onChange={slide}
            />
            <label className="visually-hidden" htmlFor={numberId}>
              Confidence in percent
            </label>
            <input
              id={numberId}
              className="fc-number"
              type="number"
              inputMode="numeric"
              min={MIN_CONFIDENCE}
              max={MAX_CONFIDENCE}
              step={1}
              value={activeDraft?.text ?? String(shown)}
              aria-invalid={invalid || undefined}
              aria-describedby={invalid ? errorId : undefined}
              onChange={type}
            />
            <span aria-hidden="true">%</span>
          </div>
          <p id={summaryId} className="fc-summary">
            {shown} % sure it comes true
          </p>
          <p id={errorId} role="alert" className="error fc-error">
            {invalid ? `Enter a whole number from ${MIN_CONFIDENCE} to ${MAX_CONFIDENCE}.` : ''}
          </p>
        </div>
      )}
      <p id={noteId} className="hint muted fc-note">
        Locked when you log the call — it's your receipt.
      </p>
    </fieldset>
  )
}
