import { useId, useMemo, useState, type KeyboardEvent } from 'react'

/** Every IANA zone the browser knows (plus UTC, which some browsers leave out of the list). */
export function allTimeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  const zones = intl.supportedValuesOf?.('timeZone') ?? []
  return zones.includes('UTC') ? zones : ['UTC', ...zones]
}

const MAX_OPTIONS = 50

function normalise(text: string): string {
  return text.toLowerCase().replace(/[_/]/g, ' ').replace(/\s+/g, ' ').trim()
}

interface Props {
  id: string
  label: string
  value: string
  onChange: (zone: string) => void
  zones?: string[]
}

/**
 * A searchable IANA timezone picker (ARIA combobox with a listbox). The value only ever changes to
 * a zone from the list: typing filters, Enter or a click picks, Escape or leaving restores.
 */
export function TimezonePicker({ id, label, value, onChange, zones: given }: Props) {
  const zones = useMemo(() => given ?? allTimeZones(), [given])
  const listId = useId()
  const [query, setQuery] = useState<string | null>(null) // null: not editing, show the value
  const [active, setActive] = useState(0)
  const open = query !== null
  const matches = useMemo(() => {
    if (query === null) return []
    const wanted = normalise(query)
    const found = wanted ? zones.filter((zone) => normalise(zone).includes(wanted)) : zones
    return found.slice(0, MAX_OPTIONS)
  }, [query, zones])

  function pick(zone: string) {
    onChange(zone)
    setQuery(null)
  }

  function leave() {
    if (query === null) return
    const exact = zones.find((zone) => zone.toLowerCase() === query.trim().toLowerCase())
    if (exact) onChange(exact)
    setQuery(null)
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      if (!open) {
        setQuery('')
        setActive(0)
        return
      }
      const step = event.key === 'ArrowDown' ? 1 : -1
      setActive((current) => (matches.length ? (current + step + matches.length) % matches.length : 0))
    } else if (event.key === 'Enter' && open) {
      event.preventDefault() // choosing a zone must not submit the form
      const choice = matches[active]
      if (choice) pick(choice)
    } else if (event.key === 'Escape' && open) {
      event.preventDefault()
      setQuery(null)
    }
  }

  const activeId = open && matches[active] ? `${listId}-${active}` : undefined
  return (
    <div className="combobox">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open && matches.length > 0}
        aria-controls={listId}
        aria-activedescendant={activeId}
        aria-describedby={`${id}-hint`}
        autoComplete="off"
        spellCheck={false}
        value={query ?? value}
        onChange={(e) => {
          setQuery(e.target.value)
          setActive(0)
        }}
        onFocus={(e) => e.target.select()}
        onClick={(e) => {
          if (query === null) e.currentTarget.select() // a new search replaces the shown zone
        }}
        onBlur={leave}
        onKeyDown={onKeyDown}
      />
      <p id={`${id}-hint`} className="muted hint">Type a city or region, then pick a zone from the list.</p>
      {open && (
        <ul id={listId} role="listbox" aria-label={label} className="listbox">
          {matches.map((zone, i) => (
            <li
              key={zone}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault() // keep focus in the input; pick on mouse down before blur
                pick(zone)
              }}
            >
              {zone.replace(/_/g, ' ')}
            </li>
          ))}
          {matches.length === 0 && <li role="option" aria-selected={false} aria-disabled="true" className="muted">No zone matches “{query}”</li>}
        </ul>
      )}
    </div>
  )
}
