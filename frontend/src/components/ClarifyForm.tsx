import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { MAX_ANSWER_CHARS, type ClarifyFrame } from '../protocol.gen'

interface Props {
  asked: ClarifyFrame
  error: string | null
  onAnswer: (answers: Record<string, string>) => void
  onSkip: () => void
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`
}

/**
 * The analysis asks before assuming: each question with why it matters, its suggestions as buttons
 * (a click fills the answer), a free-text answer, Send and Skip. Focus moves to the questions when
 * they appear, so keyboard and screen-reader users land on them.
 */
export function ClarifyForm({ asked, error, onAnswer, onSkip }: Props) {
  const [answers, setAnswers] = useState<Record<string, string>>({})
  const heading = useRef<HTMLHeadingElement>(null)
  const id = useId()
  const filled = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v))

  useEffect(() => {
    heading.current?.focus()
  }, [asked.round])

  function submit(event: FormEvent) {
    event.preventDefault()
    if (Object.keys(filled).length > 0) onAnswer(filled)
  }

  const plural = asked.questions.length > 1
  return (
    <form className="card clarify" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} ref={heading} tabIndex={-1}>
        {plural ? 'A few questions before going on' : 'A quick question before going on'}
      </h3>
      {asked.questions.map((q) => {
        const value = answers[q.id] ?? ''
        const inputId = `${id}-${q.id}`
        return (
          <fieldset key={q.id} aria-describedby={q.why ? `${inputId}-why` : undefined}>
            <legend>{q.text}</legend>
            {q.why && <p id={`${inputId}-why`} className="muted">{q.why}</p>}
            {q.suggestions.length > 0 && (
              <div className="suggestions" role="group" aria-label={`Suggested answers: ${q.text}`}>
                {q.suggestions.map((s) => (
                  <button
                    key={s}
                    type="button"
                    className="chip-button"
                    aria-pressed={value === s}
                    onClick={() => setAnswers({ ...answers, [q.id]: s })}
                  >
                    {s}
                  </button>
                ))}
              </div>
            )}
            <label htmlFor={inputId}>Your answer</label>
            <input
              id={inputId}
              value={value}
              maxLength={MAX_ANSWER_CHARS}
              onChange={(e) => setAnswers({ ...answers, [q.id]: e.target.value })}
            />
          </fieldset>
        )
      })}
      <p className="muted">
        Unanswered after {minutes(asked.timeout_s)}, the call goes on and states what it assumed.
      </p>
      <div className="actions">
        <button type="submit" className="primary" disabled={Object.keys(filled).length === 0}>
          {plural ? 'Send answers' : 'Send answer'}
        </button>
        <button type="button" onClick={onSkip}>Skip</button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  )
}
