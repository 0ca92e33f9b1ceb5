import { describe, expect, it, vi } from 'vitest'
import { ApiError, PredictionService } from './predictions'

function reply(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

describe('PredictionService', () => {
  it('sends the token and the body, and builds list queries', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(200, { items: [], next_cursor: null })))
    const api = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await api.list({ status: 'pending', cursor: 'abc', limit: 5 })
    const [url, init = {}] = fetchFn.mock.calls[0]
    expect(url).toBe('http://api/predictions?status=pending&cursor=abc&limit=5')
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer T')
  })

  it('turns API errors into plain messages', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(422, { code: 'bad_request', message: 'prediction.verification_date: bad' })))
    const api = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await expect(api.override('id', 'true', '')).rejects.toMatchObject({ status: 422, message: 'prediction.verification_date: bad' })
  })

  it('confirms, overrides and reads the history on the prediction\'s own paths', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(200, { items: [] })))
    const api = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await api.confirm('a/b')
    await api.override('p1', 'false', 'It rained')
    expect(await api.history('p1')).toEqual([])
    await api.list({ outcome: 'true' })
    const calls = fetchFn.mock.calls.map(([url, init = {}]) => [init.method, url, init.body ?? null])
    expect(calls).toEqual([
      ['POST', 'http://api/predictions/a%2Fb/confirm', null],
      ['POST', 'http://api/predictions/p1/override', JSON.stringify({ outcome: 'false', note: 'It rained' })],
      ['GET', 'http://api/predictions/p1/verdicts', null],
      ['GET', 'http://api/predictions?outcome=true&limit=10', null],
    ])
  })

  it('falls back to plain words when the error body is not the API shape', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(500, { code: 7, message: { detail: 'x' } })))
    const api = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await expect(api.due()).rejects.toMatchObject({ status: 500, code: 'error', message: 'Something went wrong.' })
  })

  it('asks the user to sign in when there is no token or the token expired', async () => {
    const noToken = new PredictionService('http://api', () => Promise.resolve(null))
    await expect(noToken.due()).rejects.toBeInstanceOf(ApiError)
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(401, { message: 'Unauthorized' })))
    const expired = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await expect(expired.due()).rejects.toThrow('Sign in again')
  })

  it('reports network failures in words', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.reject(new TypeError('Failed to fetch')))
    const api = new PredictionService('http://api', () => Promise.resolve('T'), fetchFn)
    await expect(api.remove('x')).rejects.toThrow('Cannot reach the server')
  })
})
