// REST client for the predictions API. Errors carry the API's {code, message} in plain words.
import type { HistoryEntry, Outcome, Prediction, PredictionPage, PredictionStatus, SavedPrediction } from '../types'

export type Page = PredictionPage

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

export class PredictionService {
  private readonly baseUrl: string
  private readonly token: () => Promise<string | null>
  private readonly fetchFn: typeof fetch

  constructor(baseUrl: string, token: () => Promise<string | null>, fetchFn: typeof fetch = (...args) => fetch(...args)) {
    this.baseUrl = baseUrl
    this.token = token
    this.fetchFn = fetchFn
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.token()
    if (!token) throw new ApiError(401, 'unauthorized', 'Sign in again to continue.')
    let response: Response
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      })
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and retry.')
    }
    if (response.status === 204) return undefined as T
    const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (!response.ok) {
      const message = response.status === 401
        ? 'Your session expired. Sign in again.'
        : typeof data.message === 'string' ? data.message : 'Something went wrong.'
      throw new ApiError(response.status, typeof data.code === 'string' ? data.code : 'error', message)
    }
    return data as T
  }

  save(requestId: string, prediction: Prediction, model: string, timezone: string): Promise<SavedPrediction> {
    return this.request('POST', '/predictions', { request_id: requestId, prediction, model, timezone })
  }

  list(
    options: { status?: PredictionStatus | ''; outcome?: Outcome | ''; cursor?: string | null; limit?: number } = {},
  ): Promise<Page> {
    const params = new URLSearchParams()
    if (options.status) params.set('status', options.status)
    if (options.outcome) params.set('outcome', options.outcome)
    if (options.cursor) params.set('cursor', options.cursor)
    params.set('limit', String(options.limit ?? 10))
    return this.request('GET', `/predictions?${params.toString()}`)
  }

  due(): Promise<Page> {
    return this.request('GET', '/predictions/due')
  }

  get(id: string): Promise<SavedPrediction> {
    return this.request('GET', `/predictions/${encodeURIComponent(id)}`)
  }

  /** Accept the proposed verdict: the call is resolved with its outcome. */
  confirm(id: string): Promise<SavedPrediction> {
    return this.request('POST', `/predictions/${encodeURIComponent(id)}/confirm`)
  }

  /** Set the outcome yourself: replaces a proposed verdict, or judges a call without one. */
  override(id: string, outcome: Outcome, note: string): Promise<SavedPrediction> {
    return this.request('POST', `/predictions/${encodeURIComponent(id)}/override`, { outcome, note })
  }

  /** Every verdict and every confirm or override, oldest first. */
  history(id: string): Promise<HistoryEntry[]> {
    return this.request<{ items: HistoryEntry[] }>('GET', `/predictions/${encodeURIComponent(id)}/verdicts`).then((h) => h.items)
  }

  remove(id: string): Promise<void> {
    return this.request('DELETE', `/predictions/${encodeURIComponent(id)}`)
  }
}
