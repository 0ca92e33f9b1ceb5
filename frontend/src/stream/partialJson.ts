/**
 * Tolerant, incremental JSON parser for *prefixes* of a streamed JSON document.
 *
 * Representation: a tree of `PartialValue` nodes, each flagged `complete`.
 * - A string node appears as soon as its opening quote arrives and grows with the text; it is
 *   `complete` once the closing quote arrives. A pending escape (`\`, `\u00`) is held back, never
 *   emitted by halves, and an incomplete string drops a trailing lone high surrogate (its low half
 *   may be next, whether it comes raw or as a `\uDFxx` escape).
 * - Numbers appear only once a delimiter ends them ("1" may still become "12"); `true`, `false`,
 *   `null` only once fully spelled ("tr" is not yet true). Both are therefore always complete.
 * - Arrays and objects appear when opened and are `complete` when closed. An object entry appears
 *   once its key has closed, the colon arrived and its value is visible by the rules above.
 * - On a syntax error parsing stops: everything seen so far is kept, open nodes stay incomplete,
 *   and `error` is set. Nothing ever throws.
 * Strict JSON (RFC 8259), except that a trailing comma before `]` / `}` is accepted, as the backend
 * repairs it too. Duplicate keys: the last one wins (as in JSON.parse and Python).
 */

export type PartialValue =
  | { kind: 'string'; value: string; complete: boolean }
  | { kind: 'number'; value: number; complete: true }
  | { kind: 'boolean'; value: boolean; complete: true }
  | { kind: 'null'; value: null; complete: true }
  | { kind: 'array'; items: PartialValue[]; complete: boolean }
  | { kind: 'object'; entries: Map<string, PartialValue>; complete: boolean }

type StringNode = Extract<PartialValue, { kind: 'string' }>
type ContainerNode = Extract<PartialValue, { kind: 'array' | 'object' }>

type Mode =
  | 'value' // a value must come
  | 'valueOrClose' // after `[` or `,` in an array
  | 'keyOrClose' // after `{` or `,` in an object
  | 'colon'
  | 'afterValue' // `,` or a closing bracket
  | 'string'
  | 'number'
  | 'literal'
  | 'done'
  | 'error'

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
const LITERALS: Record<string, { word: string; make: () => PartialValue }> = {
  t: { word: 'true', make: () => ({ kind: 'boolean', value: true, complete: true }) },
  f: { word: 'false', make: () => ({ kind: 'boolean', value: false, complete: true }) },
  n: { word: 'null', make: () => ({ kind: 'null', value: null, complete: true }) },
}
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const NUMBER_CHAR = /[-+.eE0-9]/
const HEX = /[0-9a-fA-F]/
// eslint-disable-next-line no-control-regex -- JSON strings end at control characters: they must match here
const PLAIN_RUN = /[^"\\\u0000-\u001f]+/y // string characters needing no attention, taken in one go
const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t'

/** Feed chunks with `push`; read a snapshot with `value()`. Work is proportional to the new text. */
export class PartialJsonParser {
  private mode: Mode = 'value'
  private readonly stack: { node: ContainerNode; key: string }[] = []
  private top: PartialValue | undefined
  private str: StringNode | null = null // the string being read (a detached node for keys)
  private strIsKey = false
  private esc = '' // pending escape: '', '\\' or '\\u' + up to 3 hex digits
  private num = ''
  private lit = '' // the literal's letters so far
  private consumed = 0

  /** The root was fully read; trailing text is left unconsumed (see `end`). */
  get done(): boolean {
    return this.mode === 'done'
  }

  /** A syntax error stopped the parse at offset `end`. */
  get error(): boolean {
    return this.mode === 'error'
  }

  /** Characters consumed: just past the root once `done`, the offending character on `error`. */
  get end(): number {
    return this.consumed
  }

  /** The live (mutable) root, for cheap peeking; use `value()` for something to keep. */
  get root(): PartialValue | undefined {
    return this.top
  }

  push(chunk: string): void {
    let i = 0
    while (i < chunk.length && this.mode !== 'done' && this.mode !== 'error') {
      if (this.mode === 'string' && this.esc === '') {
        PLAIN_RUN.lastIndex = i
        if (PLAIN_RUN.test(chunk)) {
          this.str!.value += chunk.slice(i, PLAIN_RUN.lastIndex)
          i = PLAIN_RUN.lastIndex
          continue
        }
      }
      // `step` returns false when a number ended on this character, which must be read again;
      // an offending character is not consumed, so `end` points at it.
      if (this.step(chunk[i]) && !this.error) i++
    }
    this.consumed += i
  }

  /** A deep copy of what is known so far, or undefined while nothing is (e.g. root `12`). */
  value(): PartialValue | undefined {
    return this.top && snapshot(this.top)
  }

  private step(c: string): boolean {
    switch (this.mode) {
      case 'string':
        this.stringChar(c)
        return true
      case 'number':
        if (NUMBER_CHAR.test(c)) this.num += c
        else if (NUMBER.test(this.num)) {
          this.finish({ kind: 'number', value: Number(this.num), complete: true })
          return false
        } else this.mode = 'error'
        return true
      case 'literal': {
        const { word, make } = LITERALS[this.lit[0]]
        if (c !== word[this.lit.length]) this.mode = 'error'
        else if ((this.lit += c) === word) this.finish(make())
        return true
      }
    }
    if (isSpace(c)) return true
    switch (this.mode) {
      case 'keyOrClose':
        if (c === '"') this.openString(true)
        else if (c === '}') this.close('object')
        else this.mode = 'error'
        break
      case 'colon':
        this.mode = c === ':' ? 'value' : 'error'
        break
      case 'afterValue': {
        const frame = this.stack[this.stack.length - 1]
        if (c === ',') this.mode = frame.node.kind === 'object' ? 'keyOrClose' : 'valueOrClose'
        else this.close(c === '}' ? 'object' : c === ']' ? 'array' : null)
        break
      }
      case 'valueOrClose':
      case 'value':
        if (c === ']' && this.mode === 'valueOrClose') this.close('array')
        else this.startValue(c)
        break
    }
    return true
  }

  private startValue(c: string): void {
    if (c === '"') this.openString(false)
    else if (c === '{' || c === '[') {
      const node: ContainerNode =
        c === '{' ? { kind: 'object', entries: new Map(), complete: false } : { kind: 'array', items: [], complete: false }
      this.attach(node)
      this.stack.push({ node, key: '' })
      this.mode = c === '{' ? 'keyOrClose' : 'valueOrClose'
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      this.num = c
      this.mode = 'number'
    } else if (c in LITERALS) {
      this.lit = c
      this.mode = 'literal'
    } else this.mode = 'error'
  }

  private openString(isKey: boolean): void {
    this.str = { kind: 'string', value: '', complete: false }
    this.strIsKey = isKey
    if (!isKey) this.attach(this.str)
    this.mode = 'string'
  }

  private stringChar(c: string): void {
    const s = this.str!
    if (this.esc === '') {
      if (c === '"') {
        s.complete = true
        if (this.strIsKey) {
          this.stack[this.stack.length - 1].key = s.value
          this.mode = 'colon'
        } else this.finish(null)
      } else if (c === '\\') this.esc = c
      else if (c < ' ') this.mode = 'error' // raw control characters are not JSON
      else s.value += c
    } else if (this.esc === '\\') {
      if (c === 'u') this.esc = '\\u'
      else if (c in ESCAPES) {
        s.value += ESCAPES[c]
        this.esc = ''
      } else this.mode = 'error'
    } else if (!HEX.test(c)) this.mode = 'error'
    else if ((this.esc += c).length === 6) {
      // Each \uXXXX is one UTF-16 code unit; a surrogate pair is two escapes that concatenate.
      s.value += String.fromCharCode(parseInt(this.esc.slice(2), 16))
      this.esc = ''
    }
  }

  /** A value is fully read: attach it if it is a scalar (strings were attached when opened). */
  private finish(node: PartialValue | null): void {
    if (node) this.attach(node)
    this.mode = this.stack.length ? 'afterValue' : 'done'
  }

  private close(kind: 'object' | 'array' | null): void {
    const frame = this.stack[this.stack.length - 1]
    if (!frame || frame.node.kind !== kind) {
      this.mode = 'error'
      return
    }
    frame.node.complete = true
    this.stack.pop()
    this.finish(null)
  }

  private attach(node: PartialValue): void {
    const frame = this.stack[this.stack.length - 1]
    if (!frame) this.top = node
    else if (frame.node.kind === 'array') frame.node.items.push(node)
    else frame.node.entries.set(frame.key, node)
  }
}

function snapshot(v: PartialValue): PartialValue {
  switch (v.kind) {
    case 'string': {
      const code = v.value.charCodeAt(v.value.length - 1)
      const lone = !v.complete && code >= 0xd800 && code <= 0xdbff // the low half may be next
      return { ...v, value: lone ? v.value.slice(0, -1) : v.value }
    }
    case 'array':
      return { ...v, items: v.items.map(snapshot) }
    case 'object':
      return { ...v, entries: new Map([...v.entries].map(([k, item]) => [k, snapshot(item)])) }
    default:
      return { ...v }
  }
}

/** Parse a prefix of a JSON document in one go; undefined while no value is visible yet. */
export function parsePartialJson(text: string): PartialValue | undefined {
  const parser = new PartialJsonParser()
  parser.push(text)
  return parser.value()
}

/** The plain JS value of a (possibly partial) tree, e.g. to compare with JSON.parse. */
export function toPlain(v: PartialValue): unknown {
  switch (v.kind) {
    case 'array':
      return v.items.map(toPlain)
    case 'object':
      return Object.fromEntries([...v.entries].map(([k, item]) => [k, toPlain(item)]))
    default:
      return v.value
  }
}
