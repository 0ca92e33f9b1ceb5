// REST client for the predictions API. Errors carry the API's {code, message} in plain words.
import type { NotificationList, Share, TrackRecord } from '../protocol.gen'
import type {
  HistoryEntry,
  Outcome,
  Prediction,
  PredictionPage,
  PredictionStatus,
  SavedPrediction,
  VerifiableCategory,
} from '../types'

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

export interface ListOptions {
  status?: PredictionStatus | ''
  outcome?: Outcome | ''
  category?: VerifiableCategory | ''
  tag?: string
  q?: string
  cursor?: string | null
  limit?: number
}

export interface SaveOptions {
  /** Probability (0.01–0.99) that the call comes true; locked with the call. */
  confidence?: number | null
  tags?: string[]
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

  /** The raw response of an authorised call; failures become ApiErrors in plain words. */
  private async send(method: string, path: string, body?: unknown): Promise<Response> {
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
    if (!response.ok) {
      const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
      const message = response.status === 401
        ? 'Your session expired. Sign in again.'
        : typeof data.message === 'string' ? data.message : 'Something went wrong.'
      throw new ApiError(response.status, typeof data.code === 'string' ? data.code : 'error', message)
    }
    return response
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body)
    if (response.status === 204) return undefined as T
    return (await response.json().catch(() => ({}))) as T
  }

  save(requestId: string, prediction: Prediction, model: string, timezone: string, options: SaveOptions = {}): Promise<SavedPrediction> {
    const extra = {
      ...(options.confidence != null ? { confidence: options.confidence } : {}),
      ...(options.tags && options.tags.length > 0 ? { tags: options.tags } : {}),
    }
    return this.request('POST', '/predictions', { request_id: requestId, prediction, model, timezone, ...extra })
  }

  list(options: ListOptions = {}): Promise<Page> {
    const params = new URLSearchParams()
    if (options.status) params.set('status', options.status)
    if (options.outcome) params.set('outcome', options.outcome)
    if (options.category) params.set('category', options.category)
    if (options.tag) params.set('tag', options.tag)
    if (options.q) params.set('q', options.q)
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

  setTags(id: string, tags: string[]): Promise<SavedPrediction> {
    return this.request('PUT', `/predictions/${encodeURIComponent(id)}/tags`, { tags })
  }

  /** Share the call: its public receipt link (the same until revoked). */
  share(id: string): Promise<Share> {
    return this.request('POST', `/predictions/${encodeURIComponent(id)}/receipt`)
  }

  revokeShare(id: string): Promise<void> {
    return this.request('DELETE', `/predictions/${encodeURIComponent(id)}/receipt`)
  }

  /** The public address of a receipt (it lives on the REST API's domain). */
  receiptUrl(token: string): string {
    return `${this.baseUrl}/r/${encodeURIComponent(token)}`
  }

  stats(): Promise<TrackRecord> {
    return this.request('GET', '/stats')
  }

  /** Every call, as one CSV or JSON file: the API serves it in parts, joined here. */
  async exportAll(format: 'csv' | 'json'): Promise<{ filename: string; body: string }> {
    const parts: string[] = []
    const items: unknown[] = []
    let cursor: string | null = null
    let filename = `calledit-calls.${format}`
    for (let part = 0; part < 1000; part++) {
      const query = new URLSearchParams({ format, ...(cursor ? { cursor } : {}) })
      const response = await this.send('GET', `/export?${query.toString()}`)
      const disposition = response.headers.get('Content-Disposition') ?? ''
      filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? filename
      if (format === 'csv') parts.push(await response.text())
      else items.push(...((await response.json()) as unknown[]))
      cursor = response.headers.get('X-Next-Cursor')
      if (!cursor) break
    }
    return { filename, body: format === 'csv' ? parts.join('') : JSON.stringify(items, null, 2) }
  }

  notifications(): Promise<NotificationList> {
    return this.request('GET', '/notifications')
  }

  /** Mark the named notifications read, or all of them when no ids are given. */
  markRead(ids?: string[]): Promise<{ marked: number }> {
    return this.request('POST', '/notifications/read', ids ? { ids } : {})
  }

  remove(id: string): Promise<void> {
    return this.request('DELETE', `/predictions/${encodeURIComponent(id)}`)
  }
}
