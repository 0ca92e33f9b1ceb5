import { afterAll, describe, expect, it } from 'vitest'
import type { Prediction } from '../types'
import {
  DraftBuilder,
  draftFromToolInput,
  draftToPrediction,
  extractDraft,
  utcIso,
  type DraftList,
  type DraftText,
  type PredictionDraft,
} from './predictionDraft'

// Raw `calledit call --events` output (one protocol event per line), recorded from the backend.
const RAW = import.meta.glob<string>('./fixtures/*.txt', { query: '?raw', import: 'default', eager: true })

interface Recorded {
  name: string
  chunks: string[] // the `text` frames' content, as streamed
  final: Prediction // the `complete` frame's prediction
}

const RECORDED: Recorded[] = Object.entries(RAW).map(([path, raw]) => {
  const events = raw
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; content?: string; prediction?: Prediction })
  const final = events.find((e) => e.type === 'complete')?.prediction
  if (!final) throw new Error(`${path}: no complete frame`)
  const chunks = events.filter((e) => e.type === 'text').map((e) => e.content ?? '')
  return { name: path.replace(/^.*\/|\.txt$/g, ''), chunks, final }
})

/** JSON with every non-ASCII code unit as \uXXXX (emoji become surrogate-pair escapes) and `/` as `\/`. */
function asciiJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/')
}

const DECOY_PROSE =
  'Sets like {1, 2}, templates like {name}, JSON like {"note": "not it"} or {"x": [1, {"y": "}"}]}, ' +
  'an empty {} and a stray { come first; `code` and ``two`` ticks too.\n'

/** Streams to test: the recorded text, plus variants derived from each recording's final prediction. */
const STREAMS = RECORDED.flatMap(({ name, chunks, final }) => {
  const prose = chunks.join('')
  const before = prose.slice(0, prose.indexOf('```'))
  return [
    { name: `${name} (recorded)`, text: prose, final },
    {
      name: `${name} (derived: unfenced, ASCII escapes, decoy braces)`,
      text: `${before}${DECOY_PROSE}Here it is: ${asciiJson(final)} and a later {"prediction_statement": "ignored"}.`,
      final,
    },
    {
      name: `${name} (derived: fenced wrapper object)`,
      text: `${DECOY_PROSE}\`\`\`json\n${JSON.stringify({ prediction: final, note: '{' }, null, 1)}\n\`\`\`\nDone {`,
      final,
    },
  ]
})

/** Why `d` shows a value the final prediction does not have, or null when it is safe. */
function wrongValue(d: PredictionDraft, final: Prediction): string | null {
  const text = (name: string, t: DraftText | undefined, want: string): string | null => {
    if (!t) return null
    if (t.partial ? !t.text || !want.startsWith(t.text) : t.text !== want) return `${name}: ${JSON.stringify(t)} vs ${JSON.stringify(want)}`
    if (/[\ud800-\udbff]$/.test(t.text)) return `${name}: ends with half a surrogate pair`
    return null
  }
  const list = (name: string, l: DraftList | undefined, want: string[]): string | null => {
    if (!l) return null
    if (l.items.length > want.length || (!l.partial && l.items.length !== want.length)) return `${name}: ${l.items.length} items`
    for (const [i, item] of l.items.entries()) {
      if (item.partial && (i < l.items.length - 1 || !l.partial)) return `${name}[${i}]: partial item not last`
      const why = text(`${name}[${i}]`, item, want[i])
      if (why) return why
    }
    return null
  }
  const m = final.verification_method
  const problems = [
    text('prediction_statement', d.prediction_statement, final.prediction_statement),
    text('date_reasoning', d.date_reasoning, final.date_reasoning),
    text('category_reasoning', d.category_reasoning, final.category_reasoning),
    list('source', d.verification_method.source, m.source),
    list('criteria', d.verification_method.criteria, m.criteria),
    list('steps', d.verification_method.steps, m.steps),
    d.verification_date !== undefined && d.verification_date !== final.verification_date ? `date: ${d.verification_date}` : null,
    d.verifiable_category !== undefined && d.verifiable_category !== final.verifiable_category ? `category: ${d.verifiable_category}` : null,
    d.initial_status !== undefined && d.initial_status !== final.initial_status ? 'initial_status' : null,
    d.complete && !isEqual(draftToPrediction(d), final) ? 'complete but not the final prediction' : null,
  ]
  return problems.find((p) => p !== null) ?? null
}

const isEqual = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The draft a finished stream must give: the final prediction, every value final. */
function finalDraft(final: Prediction): PredictionDraft {
  const t = (text: string): DraftText => ({ text, partial: false })
  const l = (items: string[]): DraftList => ({ items: items.map(t), partial: false })
  const m = final.verification_method
  return {
    found: true,
    complete: true,
    prediction_statement: t(final.prediction_statement),
    verification_date: final.verification_date,
    date_reasoning: t(final.date_reasoning),
    verification_method: { source: l(m.source), criteria: l(m.criteria), steps: l(m.steps) },
    verifiable_category: final.verifiable_category,
    category_reasoning: t(final.category_reasoning),
    initial_status: 'pending',
  }
}

/** Deterministic PRNG (mulberry32) so random chunkings are reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomChunks(text: string, seed: number, maxLen = 40): string[] {
  const next = rng(seed)
  const out: string[] = []
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(next() * maxLen)
    out.push(text.slice(i, i + n)) // may split a surrogate pair: the builder must cope
    i += n
  }
  return out
}

const timings: string[] = []
let propertyMs = 0
let propertyPrefixes = 0
let toolMs = 0
let toolPrefixes = 0
afterAll(() => {
  console.log(
    `every-prefix property, prose streams: ${propertyPrefixes} prefixes in ${propertyMs.toFixed(0)} ms\n` +
      `every-prefix property, tool input: ${toolPrefixes} prefixes in ${toolMs.toFixed(0)} ms\n${timings.join('\n')}`,
  )
})

it('has the recorded fixtures', () => {
  expect(RECORDED.map((r) => r.name).sort()).toEqual(['bitcoin', 'feel', 'psg', 'quotes', 'snow', 'sp500', 'tokyo'])
  expect(RECORDED.find((r) => r.name === 'psg')?.final.prediction_statement).toContain('🏆')
  expect(RECORDED.find((r) => r.name === 'quotes')?.final.prediction_statement).toMatch(/"the C:\\temp/)
})

describe.each(STREAMS)('$name', ({ text, final }) => {
  it('never shows a wrong value, at every prefix; the whole stream gives the final prediction', () => {
    const t0 = performance.now()
    let firstShown = -1
    for (let k = 0; k <= text.length; k++) {
      const d = extractDraft(text.slice(0, k))
      const why = wrongValue(d, final)
      if (why) expect.fail(`prefix ${k} (…${JSON.stringify(text.slice(Math.max(0, k - 40), k))}): ${why}`)
      if (firstShown < 0 && d.prediction_statement) firstShown = k
    }
    propertyMs += performance.now() - t0
    propertyPrefixes += text.length + 1
    const d = extractDraft(text)
    expect(d).toEqual(finalDraft(final))
    expect(draftToPrediction(d)).toEqual(final)
    expect(firstShown).toBeGreaterThan(0)
    expect(firstShown).toBeLessThan(text.indexOf(final.verification_date.slice(0, 10), text.indexOf('"verification_date"')))
  })

  it.each([1, 2, 3])('chunked pushes (seed %i) give the one-shot draft at every step', (seed) => {
    const b = new DraftBuilder()
    let sent = ''
    for (const chunk of randomChunks(text, seed)) {
      sent += chunk
      expect(b.push(chunk)).toEqual(extractDraft(sent))
    }
    expect(b.draft).toEqual(finalDraft(final))
  })

  it('one character at a time gives the one-shot draft at every step', () => {
    const b = new DraftBuilder()
    for (let k = 1; k <= text.length; k++) expect(b.push(text[k - 1])).toEqual(extractDraft(text.slice(0, k)))
  })
})

describe.each(RECORDED)('$name recorded frames', ({ chunks, final }) => {
  it('pushed frame by frame as streamed end on the final prediction', () => {
    const b = new DraftBuilder()
    let sent = ''
    for (const chunk of chunks) {
      sent += chunk
      expect(b.push(chunk)).toEqual(extractDraft(sent))
    }
    expect(draftToPrediction(b.draft)).toEqual(final)
  })
})

describe.each(RECORDED)('$name as tool input', ({ final }) => {
  const variants = [JSON.stringify(final), asciiJson(final, 2), JSON.stringify({ ...final, extra: { x: '}' } })]
  it.each(variants.map((args, i) => [i, args]))('variant %i: every prefix is safe, the whole is final', (_, args) => {
    const t0 = performance.now()
    for (let k = 0; k <= args.length; k++) {
      const why = wrongValue(draftFromToolInput(args.slice(0, k)), final)
      if (why) expect.fail(`prefix ${k}: ${why}`)
    }
    toolMs += performance.now() - t0
    toolPrefixes += args.length + 1
    expect(draftFromToolInput(args)).toEqual(finalDraft(final))
  })

  it('partial-argument chunks give the one-shot draft at every step', () => {
    const args = asciiJson(final)
    const b = new DraftBuilder('toolInput')
    let sent = ''
    for (const chunk of randomChunks(args, 7, 12)) {
      sent += chunk
      expect(b.push(chunk)).toEqual(draftFromToolInput(sent))
    }
    expect(draftToPrediction(b.draft)).toEqual(final)
  })
})

describe('draft rules', () => {
  const head = 'Some {prose}.\n```json\n{"prediction_statement": "  It will rain  ", '

  it('shows free text while it streams, stripped, and flags it partial', () => {
    expect(extractDraft('{"prediction_statement": ').found).toBe(false) // its value has not started
    expect(extractDraft('{"prediction_statement": "  ')).toEqual({ found: true, complete: false, verification_method: {} })
    expect(extractDraft('{"prediction_statement": "  It will r').prediction_statement).toEqual({ text: 'It will r', partial: true })
    expect(extractDraft('{"prediction_statement": "  It will ').prediction_statement).toEqual({ text: 'It will', partial: true })
    expect(extractDraft(head).prediction_statement).toEqual({ text: 'It will rain', partial: false })
  })

  it('shows the date only when closed and valid, normalised to UTC like the backend', () => {
    const at = (date: string): string | undefined => extractDraft(`${head}"verification_date": ${date}`).verification_date
    expect(at('"2027-03-31T23:59')).toBeUndefined()
    expect(at('"2027-03-31T23:59:59+02:00')).toBeUndefined()
    expect(at('"2027-03-31T23:59:59+02:00"')).toBe('2027-03-31T21:59:59Z')
    expect(at('"2027-02-30T10:00:00Z"')).toBeUndefined()
    expect(at('"next March"')).toBeUndefined()
    expect(at('1806529199,')).toBeUndefined()
    expect(utcIso('2027-03-31 21:59Z')).toBe('2027-03-31T21:59:00Z')
    expect(utcIso('2027-03-31T21:59:59.999999-0230')).toBe('2027-04-01T00:29:59Z')
    expect(utcIso('2027-01-01T00:30:00+01:00')).toBe('2026-12-31T23:30:00Z')
    for (const bad of ['2027-03-31', '2027-03-31T21:59:59', '2027-03-31T24:00:00Z', '2027-03-31T21:59:60Z', ' 2027-03-31T21:59:59Z', '9999-12-31T23:59:59-01:00'])
      expect(utcIso(bad), bad).toBeUndefined()
  })

  it('shows the category only when closed and one of the five', () => {
    const at = (c: string): string | undefined => extractDraft(`${head}"verifiable_category": ${c}`).verifiable_category
    expect(at('"api_tool_verifiable')).toBeUndefined()
    expect(at('"api_tool"')).toBeUndefined()
    expect(at('"api_tool_verifiable"')).toBe('api_tool_verifiable')
  })

  it('shows list items in order, the last one possibly partial, and stops at a non-text item', () => {
    const m = `${head}"verification_method": {"source": ["A", "B`
    expect(extractDraft(m).verification_method.source).toEqual({ items: [{ text: 'A', partial: false }, { text: 'B', partial: true }], partial: true })
    expect(extractDraft(`${m}"]`).verification_method.source).toEqual({ items: [{ text: 'A', partial: false }, { text: 'B', partial: false }], partial: false })
    expect(extractDraft(`${m}", 3, "C"]`).verification_method.source).toEqual({ items: [{ text: 'A', partial: false }, { text: 'B', partial: false }], partial: true })
  })

  it('waits for the prediction_statement key, whatever comes first in the object', () => {
    const text = 'x {"verification_date": "2027-03-31T21:59:59Z", "prediction_statement": "Hi"'
    expect(extractDraft(text.slice(0, text.indexOf('"prediction_statement"'))).found).toBe(false)
    expect(extractDraft(text)).toMatchObject({ found: true, verification_date: '2027-03-31T21:59:59Z', prediction_statement: { text: 'Hi' } })
  })

  it('prefers a fenced object over an earlier bare one, as the backend does', () => {
    const bare = 'For example {"prediction_statement": "example"}. Now:\n'
    expect(extractDraft(bare).prediction_statement?.text).toBe('example')
    const d = extractDraft(`${bare}\`\`\`json\n{"prediction_statement": "rea`)
    expect(d.prediction_statement).toEqual({ text: 'rea', partial: true })
  })

  it('ignores objects after a complete fenced prediction', () => {
    const d = extractDraft('```json\n{"prediction_statement": "one"}\n```\n```json\n{"prediction_statement": "two"}\n```')
    expect(d.prediction_statement?.text).toBe('one')
  })

  it('returns the same object while nothing visible changes', () => {
    const b = new DraftBuilder()
    const first = b.push('Thinking about {it} ')
    expect(b.push('some more prose ')).toBe(first)
    expect(b.push('```json\n{"prediction_statement": "x')).not.toBe(first)
  })

  it('takes the tool input as the prediction whatever the key order', () => {
    expect(draftFromToolInput('{"verifiable_category": "agent_verifiable", "date_reasoning": "Be')).toMatchObject({
      found: true,
      verifiable_category: 'agent_verifiable',
      date_reasoning: { text: 'Be', partial: true },
    })
    expect(draftFromToolInput('').found).toBe(false)
  })

  it('never throws on junk', () => {
    const next = rng(42)
    const alphabet = '{}[]":,\\u0123456789abcdeftrnl \n`'
    for (let n = 0; n < 300; n++) {
      let junk = ''
      for (let i = 0; i < 60; i++) junk += alphabet[Math.floor(next() * alphabet.length)]
      expect(() => extractDraft(`${junk}{"prediction_statement": ${junk}`)).not.toThrow()
      expect(() => draftFromToolInput(junk)).not.toThrow()
    }
  })
})

describe('efficiency', () => {
  const { final, chunks } = RECORDED.find((r) => r.name === 'sp500')!
  const recorded = chunks.join('')

  function timePushes(text: string, pieces: number): number {
    const size = Math.ceil(text.length / pieces)
    const b = new DraftBuilder()
    const t0 = performance.now()
    for (let i = 0; i < text.length; i += size) b.push(text.slice(i, i + size))
    const ms = performance.now() - t0
    expect(draftToPrediction(b.draft)).toEqual(final)
    return ms
  }

  it('handles ~50 KB of brace-laden prose before the JSON in 500 chunks', () => {
    let prose = ''
    while (prose.length < 48_000) prose += DECOY_PROSE + 'Plain reasoning about the index, {maybe} "quoted" words. '
    const text = prose + recorded
    const ms = timePushes(text, 500)
    timings.push(`50 KB prose stream (${text.length} chars, 500 pushes): ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(1000) // generous: shared CI machines; typically 10-100 ms
  })

  it('handles a ~50 KB JSON part in 500 chunks', () => {
    const long = { ...final, date_reasoning: `${final.date_reasoning} ${'More detail, with "quotes" and é. '.repeat(1400)}`.trim() }
    const text = `Reasoning first.\n\`\`\`json\n${JSON.stringify(long, null, 2)}\n\`\`\`\n`
    const size = Math.ceil(text.length / 500)
    const b = new DraftBuilder()
    const t0 = performance.now()
    for (let i = 0; i < text.length; i += size) b.push(text.slice(i, i + size))
    const ms = performance.now() - t0
    expect(draftToPrediction(b.draft)).toEqual(long)
    timings.push(`50 KB JSON stream (${text.length} chars, 500 pushes): ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(1000) // generous: shared CI machines; typically 10-100 ms
  })
})
