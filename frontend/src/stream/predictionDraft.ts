/**
 * A progressively built prediction card from a stream: only values that are safe to show.
 *
 * Safety rule: a draft never holds a value that differs from the final prediction's, other than
 * being a prefix of it while flagged `partial`. Hence:
 * - free text (statement, reasonings, each source/criteria/steps item) shows while streaming,
 *   `partial: true`, whitespace-stripped like the backend (pydantic strip_whitespace);
 * - `verification_date` only once the string is closed and is an ISO date-time with an offset,
 *   normalised to UTC `YYYY-MM-DDTHH:MM:SSZ` exactly as the backend stores it;
 * - `verifiable_category` only once closed and one of the five values;
 * - list items in order, stopping at the first item that is not text.
 * The `complete` frame stays the source of truth; this only previews it.
 */
import type { Prediction, VerifiableCategory } from '../types'
import { PartialJsonParser, type PartialValue } from './partialJson'

export interface DraftText {
  text: string
  partial: boolean // still streaming: `text` is a prefix of the final text
}

export interface DraftList {
  items: DraftText[] // only the last item may be partial
  partial: boolean // more items may come
}

export interface PredictionDraft {
  found: boolean // the prediction object has been located in the stream
  complete: boolean // that object has closed: every value shown is final
  prediction_statement?: DraftText
  verification_date?: string
  date_reasoning?: DraftText
  verification_method: { source?: DraftList; criteria?: DraftList; steps?: DraftList }
  verifiable_category?: VerifiableCategory
  category_reasoning?: DraftText
  initial_status?: 'pending' // set when stated, or when the object closed without it (the default)
}

export type DraftSource = 'prose' | 'toolInput'

type ObjectNode = Extract<PartialValue, { kind: 'object' }>

const KEY = 'prediction_statement'
const CATEGORIES: readonly string[] = [
  'agent_verifiable',
  'current_tool_verifiable',
  'strands_tool_verifiable',
  'api_tool_verifiable',
  'human_verifiable_only',
] satisfies VerifiableCategory[]
const MAX_LIST_ITEMS = 12 // schema.py
// Rust's char::is_whitespace (what pydantic-core's strip_whitespace trims), not JS \s.
const EDGE_SPACE = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g
// What pydantic accepts for an aware datetime; fractions are dropped since the backend keeps seconds.
const ISO = /^(\d{4})-(\d\d)-(\d\d)[Tt _](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?(?:([Zz])|([+-])(\d\d):?(\d\d))$/

interface Candidate {
  start: number // offset of its `{` in the stream
  fed: number // stream offset fed to the parser so far
  parser: PartialJsonParser
  fenced: boolean // inside a ``` block, which the backend prefers over bare objects
}

/**
 * Push stream chunks, get the current draft. Prose mode scans each character of prose once: every
 * `{` starts a candidate parsed incrementally; it is accepted when its object (or a wrapper's child
 * object) gets a `prediction_statement` key, dropped when it closes or turns out not to be JSON
 * (then scanning resumes just after that `{`, so prose braces cost only up to their first error).
 */
export class DraftBuilder {
  private text = ''
  private scan = 0 // next prose offset to look at
  private ticks = 0 // backticks in a row, for fences split across chunks
  private inFence = false
  private cand: Candidate | null = null
  private locked: Candidate | null = null
  private current: PredictionDraft = emptyDraft()
  private dirty = false

  private readonly source: DraftSource

  constructor(source: DraftSource = 'prose') {
    this.source = source
    if (source === 'toolInput') this.locked = { start: 0, fed: 0, parser: new PartialJsonParser(), fenced: true }
  }

  /** The current draft; the same object is returned until something visible may have changed. */
  get draft(): PredictionDraft {
    if (this.dirty) {
      this.dirty = false
      const root = this.locked?.parser.value()
      this.current = buildDraft(root && target(root, this.source === 'toolInput'))
    }
    return this.current
  }

  push(chunk: string): PredictionDraft {
    if (this.source === 'toolInput') {
      this.locked!.parser.push(chunk)
      this.dirty = true
      return this.draft
    }
    this.text += chunk
    this.advance()
    return this.draft
  }

  private advance(): void {
    for (;;) {
      const cand = this.cand
      if (cand) {
        const p = cand.parser
        if (cand.fed < this.text.length) {
          p.push(this.text.slice(cand.fed))
          cand.fed = this.text.length
          if (cand === this.locked) this.dirty = true
        }
        if (cand !== this.locked && p.root && target(p.root, false) && this.mayReplace(cand)) {
          this.locked = cand
          this.dirty = true
        }
        if (!p.done && !p.error) return // wait for more text
        this.cand = null
        // Not JSON after all: rescan its text as prose. Otherwise skip the object (or the accepted
        // part of a broken one, which stays shown until a better candidate replaces it).
        this.scan = p.error && cand !== this.locked ? cand.start + 1 : cand.start + p.end
        continue
      }
      if (this.locked?.parser.done && this.locked.fenced) return // the backend's first choice is complete
      const start = this.scanProse()
      if (start < 0) return
      this.cand = { start, fed: start, parser: new PartialJsonParser(), fenced: this.inFence }
    }
  }

  private mayReplace(cand: Candidate): boolean {
    const l = this.locked
    return !l || l.parser.error || (!l.fenced && cand.fenced)
  }

  /** Offset of the next `{` in prose (tracking ``` fences on the way), or -1 at the end of the text. */
  private scanProse(): number {
    const t = this.text
    for (let i = this.scan; i < t.length; i++) {
      const c = t.charCodeAt(i)
      if (c === 96 /* ` */) {
        if (++this.ticks === 3) {
          this.inFence = !this.inFence
          this.ticks = 0
        }
        continue
      }
      this.ticks = 0
      if (c === 123 /* { */) return i
    }
    this.scan = t.length
    return -1
  }
}

/** The draft for a whole stream text (or a prefix of it). */
export function extractDraft(streamText: string): PredictionDraft {
  return new DraftBuilder().push(streamText)
}

/** The draft for a tool call's partial JSON input, when the structured output arrives that way. */
export function draftFromToolInput(partialJsonArgs: string): PredictionDraft {
  return new DraftBuilder('toolInput').push(partialJsonArgs)
}

/** What the model streams: every field but ``verification_mode``, which CalledIt sets afterwards. */
export type StreamedPrediction = Omit<Prediction, 'verification_mode' | 'clarifications'>

/** The full prediction once the draft holds every field, final and valid; otherwise null. */
export function draftToPrediction(d: PredictionDraft): StreamedPrediction | null {
  const { source, criteria, steps } = d.verification_method
  const texts = [d.prediction_statement, d.date_reasoning, d.category_reasoning]
  const lists = [source, criteria, steps]
  if (!d.complete || !d.verification_date || !d.verifiable_category || !d.initial_status) return null
  if (!texts.every((t) => t && !t.partial && t.text)) return null
  if (!lists.every((l) => l && !l.partial && l.items.length >= 1 && l.items.length <= MAX_LIST_ITEMS)) return null
  if (!lists.every((l) => l!.items.every((item) => item.text))) return null
  const plain = (l: DraftList | undefined): string[] => l!.items.map((item) => item.text)
  return {
    prediction_statement: d.prediction_statement!.text,
    verification_date: d.verification_date,
    date_reasoning: d.date_reasoning!.text,
    verification_method: { source: plain(source), criteria: plain(criteria), steps: plain(steps) },
    verifiable_category: d.verifiable_category,
    category_reasoning: d.category_reasoning!.text,
    initial_status: d.initial_status,
  }
}

function emptyDraft(): PredictionDraft {
  return { found: false, complete: false, verification_method: {} }
}

/** The prediction object: the root, or a wrapper's child (as the backend unwraps `{"prediction": {...}}`). */
function target(root: PartialValue, toolInput: boolean): ObjectNode | undefined {
  if (root.kind !== 'object') return undefined
  if (root.entries.has(KEY)) return root
  for (const v of root.entries.values()) if (v.kind === 'object' && v.entries.has(KEY)) return v
  return toolInput ? root : undefined // a tool's input is the prediction whatever its key order
}

function buildDraft(obj: ObjectNode | undefined): PredictionDraft {
  const draft = emptyDraft()
  if (!obj) return draft
  const get = (key: string): PartialValue | undefined => obj.entries.get(key)
  draft.found = true
  draft.complete = obj.complete
  assign(draft, 'prediction_statement', text(get(KEY)))
  assign(draft, 'verification_date', closedString(get('verification_date'), utcIso))
  assign(draft, 'date_reasoning', text(get('date_reasoning')))
  assign(draft, 'verifiable_category', closedString(get('verifiable_category'), category))
  assign(draft, 'category_reasoning', text(get('category_reasoning')))
  const status = get('initial_status')
  if (status ? closedString(status, (s) => s === 'pending') : obj.complete) draft.initial_status = 'pending'
  const method = get('verification_method')
  if (method?.kind === 'object') {
    for (const key of ['source', 'criteria', 'steps'] as const) assign(draft.verification_method, key, list(method.entries.get(key)))
  }
  return draft
}

/** Set only defined values, so absent fields stay absent (toEqual-friendly). */
function assign<T, K extends keyof T>(into: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) into[key] = value
}

function text(v: PartialValue | undefined): DraftText | undefined {
  if (v?.kind !== 'string') return undefined
  const t = v.value.replace(EDGE_SPACE, '') // for a prefix, trimming both ends still yields a prefix
  if (v.complete) return { text: t, partial: false }
  return t ? { text: t, partial: true } : undefined
}

function list(v: PartialValue | undefined): DraftList | undefined {
  if (v?.kind !== 'array') return undefined
  const items: DraftText[] = []
  for (const item of v.items) {
    const t = text(item)
    if (!t) return { items, partial: true } // not text (invalid) or nothing to show yet
    items.push(t)
  }
  return { items, partial: !v.complete }
}

function closedString<T>(v: PartialValue | undefined, accept: (s: string) => T | undefined | false): T | undefined {
  if (v?.kind !== 'string' || !v.complete) return undefined
  return accept(v.value) || undefined
}

function category(s: string): VerifiableCategory | undefined {
  return CATEGORIES.includes(s) ? (s as VerifiableCategory) : undefined
}

/** An aware ISO date-time as the backend stores it (UTC, whole seconds, `Z`), or undefined. */
export function utcIso(s: string): string | undefined {
  const m = ISO.exec(s)
  if (!m) return undefined
  const [, y, mo, d, h, mi, sec, , , oh, om] = m.map((g) => Number(g ?? 0)) // absent seconds/offset: 0
  if (y < 1000 || h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59) return undefined
  const local = Date.UTC(y, mo - 1, d, h, mi, sec)
  const check = new Date(local)
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined // e.g. Feb 30
  const utc = new Date(local - (m[8] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000).toISOString()
  return /^\d{4}-/.test(utc) ? utc.replace(/\.\d{3}Z$/, 'Z') : undefined // past year 9999 Python fails too
}
