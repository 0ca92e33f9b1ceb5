import { describe, expect, it } from 'vitest'
import { PartialJsonParser, parsePartialJson, toPlain, type PartialValue } from './partialJson'

/** Why `partial` cannot be a prefix-state of `final`, or null when it can. */
function inconsistency(partial: PartialValue, final: unknown, path = '$'): string | null {
  switch (partial.kind) {
    case 'string': {
      if (typeof final !== 'string') return `${path}: string vs ${typeof final}`
      if (partial.complete ? partial.value !== final : !final.startsWith(partial.value))
        return `${path}: ${JSON.stringify(partial.value)} vs ${JSON.stringify(final)}`
      const last = partial.value.charCodeAt(partial.value.length - 1)
      if (!partial.complete && last >= 0xd800 && last <= 0xdbff) return `${path}: ends with half a surrogate pair`
      return null
    }
    case 'array': {
      if (!Array.isArray(final)) return `${path}: array vs ${typeof final}`
      const n = partial.items.length
      if (n > final.length || (partial.complete && n !== final.length)) return `${path}: ${n} items vs ${final.length}`
      for (let i = 0; i < n; i++) {
        const item = partial.items[i]
        if (i < n - 1 && !item.complete) return `${path}[${i}]: incomplete but not last`
        const why = inconsistency(item, final[i], `${path}[${i}]`)
        if (why) return why
      }
      return null
    }
    case 'object': {
      if (typeof final !== 'object' || final === null || Array.isArray(final)) return `${path}: object vs ${typeof final}`
      const obj = final as Record<string, unknown>
      if (partial.complete && partial.entries.size !== Object.keys(obj).length) return `${path}: key count`
      if ([...partial.entries.values()].filter((v) => !v.complete).length > 1) return `${path}: two open entries`
      for (const [k, v] of partial.entries) {
        if (!Object.hasOwn(obj, k)) return `${path}.${k}: not in final`
        const why = inconsistency(v, obj[k], `${path}.${k}`)
        if (why) return why
      }
      return null
    }
    default:
      return Object.is(partial.value, final) ? null : `${path}: ${String(partial.value)} vs ${String(final)}`
  }
}

const DOCS = [
  '{"a": "hel\\"lo", "b": [1, -2.5e+3, 0, true, false, null], "c": {"d": {}, "e": []}}',
  '  [ "\\u00e9\\ud83c\\udfc6\\n\\t\\\\\\/\\b\\f\\r\\"", "raw 🏆 é 東京 \u2028", {"k\\"ey": "v"} ]  ',
  '"just a string"',
  '-0.0e-0 ',
  'true',
  '{"__proto__": {"x": 1}, "constructor": 2, "": ""}',
  '[[[[]]], {"a": [{"b": [{"c": "deep"}]}]}, [{}, []]]',
  '{"empty": "", "esc": "\\"\\\\", "nums": [1e5, 1E-5, 123456789012, -0, 0.25]}',
  '\n\t{\r\n "ws" :\t[ 1 , 2 ]\n, "x" : null }\n',
  '{"a":"\\ud83c\\udfc6\\ud83c","b":"\\u0041\\u00DF\\uFFFF"}',
]

describe('parsePartialJson', () => {
  it('reads the examples of the brief', () => {
    expect(parsePartialJson('{"a": "hel')).toEqual({
      kind: 'object',
      complete: false,
      entries: new Map([['a', { kind: 'string', value: 'hel', complete: false }]]),
    })
    const arr = parsePartialJson('{"a": [1, 2')
    expect(arr?.kind === 'object' && arr.entries.get('a')).toEqual({
      kind: 'array',
      complete: false,
      items: [{ kind: 'number', value: 1, complete: true }], // "2" may still become "23"
    })
    expect(toPlain(parsePartialJson('{"a": [1, 2,')!)).toEqual({ a: [1, 2] })
    expect(toPlain(parsePartialJson('{"a": tr')!)).toEqual({})
    expect(toPlain(parsePartialJson('{"a": true')!)).toEqual({ a: true }) // cannot grow any more
    expect(toPlain(parsePartialJson('{"a": 1')!)).toEqual({})
    expect(toPlain(parsePartialJson('{"a": 1}')!)).toEqual({ a: 1 })
  })

  it('ignores a key until it has closed and its colon and value have started', () => {
    for (const text of ['{', '{"ab', '{"ab"', '{"ab" ', '{"ab":', '{"ab": ', '{"ab": -', '{"ab": nul'])
      expect(toPlain(parsePartialJson(text)!), text).toEqual({})
    expect(toPlain(parsePartialJson('{"ab": "')!)).toEqual({ ab: '' })
    expect(toPlain(parsePartialJson('{"ab": {')!)).toEqual({ ab: {} })
  })

  it('shows nothing for empty text, whitespace or a root number that may grow', () => {
    for (const text of ['', '  \n', '12', '-', '1.5e', 'fals']) expect(parsePartialJson(text), text).toBeUndefined()
    expect(parsePartialJson('12 ')).toEqual({ kind: 'number', value: 12, complete: true })
    expect(parsePartialJson('"ab')).toEqual({ kind: 'string', value: 'ab', complete: false })
  })

  it.each(DOCS)('every prefix of %j is consistent with the whole', (doc) => {
    const final: unknown = JSON.parse(doc)
    for (let k = 0; k <= doc.length; k++) {
      const v = parsePartialJson(doc.slice(0, k))
      if (v) expect(inconsistency(v, final), `prefix ${k}: ${doc.slice(0, k)}`).toBeNull()
    }
    const whole = new PartialJsonParser()
    whole.push(doc)
    if (typeof final !== 'number') {
      expect(toPlain(whole.value()!)).toEqual(final)
      expect(whole.value()!.complete).toBe(true)
      expect(whole.done).toBe(true)
    }
  })

  it.each(DOCS)('two chunks split at every position give the one-shot result (%j)', (doc) => {
    const oneShot = parsePartialJson(doc)
    for (let k = 0; k <= doc.length; k++) {
      const p = new PartialJsonParser()
      p.push(doc.slice(0, k))
      p.push(doc.slice(k))
      expect(p.value(), `split at ${k}`).toEqual(oneShot)
    }
  })

  it('never emits half an escape, at every split of every escape', () => {
    const doc = '"x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83c\\udfc6y"'
    const final = JSON.parse(doc) as string
    const seen: string[] = []
    for (let k = 1; k <= doc.length; k++) {
      const v = parsePartialJson(doc.slice(0, k))
      expect(v?.kind).toBe('string')
      const s = v?.kind === 'string' ? v.value : ''
      expect(final.startsWith(s), `prefix ${k}: ${JSON.stringify(s)}`).toBe(true)
      seen.push(s)
    }
    expect(seen.at(-1)).toBe(final)
    // right after the high-surrogate escape the emoji is held back entirely
    expect(parsePartialJson('"a\\ud83c')).toEqual({ kind: 'string', value: 'a', complete: false })
    expect(parsePartialJson('"a\\ud83c\\udf')).toEqual({ kind: 'string', value: 'a', complete: false })
    expect(parsePartialJson('"a\\ud83c\\udfc6')).toEqual({ kind: 'string', value: 'a🏆', complete: false })
    expect(parsePartialJson('"a\\u00')).toEqual({ kind: 'string', value: 'a', complete: false })
    expect(parsePartialJson('"a\\')).toEqual({ kind: 'string', value: 'a', complete: false })
  })

  it('joins a raw surrogate pair split across chunks', () => {
    const p = new PartialJsonParser()
    p.push('["a\uD83C')
    expect(toPlain(p.value()!)).toEqual(['a'])
    p.push('\uDFC6 🏆"]')
    expect(toPlain(p.value()!)).toEqual(['a🏆 🏆'])
    expect(p.done).toBe(true)
  })

  it('keeps a lone surrogate in a closed string (it is what the document says)', () => {
    expect(parsePartialJson('"a\\ud83c"')).toEqual({ kind: 'string', value: 'a\ud83c', complete: true })
  })

  it('accepts trailing commas, as the backend repairs them', () => {
    expect(parsePartialJson('[1,]')).toEqual({ kind: 'array', complete: true, items: [{ kind: 'number', value: 1, complete: true }] })
    expect(toPlain(parsePartialJson('{"a": [1, 2 , ] , }')!)).toEqual({ a: [1, 2] })
  })

  it('stops at a syntax error without throwing, keeping what came before', () => {
    const bad = ['{"a" 1}', '[1 2]', '{"a":1]', '01 ', '"\\x"', '"\\u12G4"', '"a\nb"', "{'a': 1}", '[1,,2]', '{,}', 'nul1', '}', '[-]', '{"a": [1.]}']
    for (const text of bad) {
      const p = new PartialJsonParser()
      expect(() => p.push(text)).not.toThrow()
      expect(p.error, text).toBe(true)
      const v = p.value()
      if (v) expect(v.complete, text).toBe(false)
    }
    const p = new PartialJsonParser()
    p.push('{"a": "ok", "b" 1, "c": "never"}')
    expect(toPlain(p.value()!)).toEqual({ a: 'ok' })
    expect(p.end).toBe(16) // the offending `1`
    p.push('more')
    expect(p.end).toBe(16)
  })

  it('stops after the root and reports where it ended', () => {
    const p = new PartialJsonParser()
    p.push('  {"a": 1} tail {')
    expect(p.done).toBe(true)
    expect(p.end).toBe(10)
    expect(toPlain(p.value()!)).toEqual({ a: 1 })
    const n = new PartialJsonParser()
    n.push('42,')
    expect(n.done && n.end).toBe(2) // a number ends before its delimiter
  })

  it('returns snapshots that later pushes do not change', () => {
    const p = new PartialJsonParser()
    p.push('{"a": ["x')
    const before = p.value()
    p.push('yz", "w"]}')
    expect(toPlain(before!)).toEqual({ a: ['x'] })
    expect(toPlain(p.value()!)).toEqual({ a: ['xyz', 'w'] })
  })

  it('stores keys like __proto__ as plain entries', () => {
    const v = parsePartialJson('{"__proto__": {"polluted": true}}')
    expect(v?.kind === 'object' && [...v.entries.keys()]).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
