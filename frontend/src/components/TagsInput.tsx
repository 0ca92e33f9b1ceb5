import { useId, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react'
import { flushSync } from 'react-dom'
import { MAX_TAG_CHARS, MAX_TAGS } from '../protocol.gen'
import './formControls.css'

const SEPARATORS = /[\s_/]+/gu
const ALLOWED = /^[\p{L}\p{N}_][\p{L}\p{N}_-]*$/u

type Checked = { tag: string } | { error: string }

/** Python's str.casefold() for the letters where it differs from lower case. */
function casefold(text: string): string {
  return text.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')
}

/** The server's rules (layers/calledit/calledit/tagging.py), with the reason when a tag is refused. */
function checkTag(raw: string): Checked {
  let tag = raw.normalize('NFKC').trim().replace(/^#+/, '')
  tag = casefold(tag).replace(SEPARATORS, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-')
  if (!tag) return { error: 'A tag cannot be empty.' }
  if ([...tag].length > MAX_TAG_CHARS) return { error: `A tag has at most ${MAX_TAG_CHARS} characters.` }
  if (!ALLOWED.test(tag)) return { error: 'Use letters, digits and hyphens only.' }
  return { tag }
}

/**
 * A tag as the server stores it: NFKC, trimmed, no leading '#', lower case, spaces, underscores and
 * slashes turned into single hyphens; null when empty, longer than MAX_TAG_CHARS or holding anything
 * but letters, digits and hyphens.
 */
export function normaliseTag(raw: string): string | null {
  const checked = checkTag(raw)
  return 'tag' in checked ? checked.tag : null
}

interface Props {
  value: string[]
  onChange: (tags: string[]) => void
  /** Id of the text box. */
  id?: string
  label?: string
}

/**
 * Up to MAX_TAGS tags as removable chips. Enter or a comma adds what was typed (normalised, duplicates
 * ignored), leaving the box adds it too, Backspace in the empty box removes the last tag.
 */
export function TagsInput({ value, onChange, id, label = 'Tags' }: Props) {
  const generated = useId()
  const inputId = id ?? `tags-${generated}`
  const hintId = `${inputId}-hint`
  const errorId = `${inputId}-error`
  const inputRef = useRef<HTMLInputElement>(null)
  const listRef = useRef<HTMLUListElement>(null)
  const [text, setText] = useState('')
  const [error, setError] = useState('')
  const full = value.length >= MAX_TAGS

  /**
   * Adds every tag in `pieces` it can. Returns the error for the first it cannot ('' if none) and the
   * pieces it refused, which stay in the box so nothing typed is lost silently.
   */
  function add(pieces: string[], moveFocus: boolean): { problem: string; refused: string[] } {
    const next = [...value]
    const refused: string[] = []
    let problem = ''
    for (const piece of pieces) {
      if (!piece.trim()) continue
      const checked = checkTag(piece)
      if ('error' in checked) {
        problem ||= `“${piece.trim()}”: ${checked.error}`
        refused.push(piece)
      } else if (next.includes(checked.tag)) {
        continue
      } else if (next.length >= MAX_TAGS) {
        problem ||= `Up to ${MAX_TAGS} tags.`
        refused.push(piece)
      } else {
        next.push(checked.tag)
      }
    }
    if (next.length !== value.length) {
      if (moveFocus && next.length >= MAX_TAGS) {
        // The box is about to be disabled, which would drop focus on the page: move it to the last
        // tag's remove button instead, once the new list has rendered.
        flushSync(() => onChange(next))
        listRef.current?.querySelector<HTMLButtonElement>('li:last-child button')?.focus()
      } else {
        onChange(next)
      }
    }
    return { problem, refused }
  }

  /** Adds the typed text; keeps it in the box with an error when it is refused. */
  function commit(moveFocus: boolean) {
    const { problem, refused } = add([text], moveFocus)
    setError(problem)
    setText(refused.join(','))
  }

  function remove(index: number) {
    // Flush so the box is enabled again (when the list was full) before focus moves to it; the chip's
    // button is gone, and focus would otherwise fall back to the page.
    flushSync(() => onChange(value.filter((_, i) => i !== index)))
    setError('')
    inputRef.current?.focus()
  }

  function change(event: ChangeEvent<HTMLInputElement>) {
    const typed = event.target.value
    if (!typed.includes(',')) {
      setText(typed)
      setError('')
      return
    }
    // A comma (typed or pasted) ends every tag before it; what follows the last comma stays in the box.
    const pieces = typed.split(',')
    const rest = pieces.pop() ?? ''
    const { problem, refused } = add(pieces, true)
    setError(problem)
    setText([...refused, rest].filter((piece) => piece !== '').join(','))
  }

  function keyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter') {
      // Never submit the surrounding form from here: Enter means "add this tag".
      event.preventDefault()
      commit(true)
    } else if (event.key === 'Backspace' && text === '' && value.length > 0) {
      event.preventDefault()
      onChange(value.slice(0, -1))
      setError('')
    }
  }

  function blur() {
    if (!text.trim()) return
    commit(false)
  }

  return (
    <div className="fc-tags">
      <label htmlFor={inputId}>{label}</label>
      {value.length > 0 && (
        <ul ref={listRef} className="chips fc-tag-list" aria-label={`${label} added`}>
          {value.map((tag, index) => (
            <li key={tag} className="chip fc-tag">
              <span>{tag}</span>
              <button type="button" className="fc-tag-remove" aria-label={`Remove tag ${tag}`} onClick={() => remove(index)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        ref={inputRef}
        id={inputId}
        type="text"
        value={text}
        disabled={full}
        autoComplete="off"
        enterKeyHint="enter"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${errorId} ${hintId}` : hintId}
        onChange={change}
        onKeyDown={keyDown}
        onBlur={blur}
      />
      <p id={hintId} className="hint muted fc-hint">
        {full
          ? `Up to ${MAX_TAGS} tags: remove one to add another.`
          : `Press Enter or comma to add. Up to ${MAX_TAGS} tags, letters, digits and hyphens.`}
      </p>
      <p id={errorId} role="alert" className="error fc-error">
        {error}
      </p>
    </div>
  )
}
