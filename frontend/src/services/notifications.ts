// The in-app notifications (verdict ready, call due): the list from GET /notifications, kept live by the
// socket's notification frames. Framework-free; components read it with useSyncExternalStore.
//
// A frame carries no notification id or time, so on a frame the unread count is bumped at once and the
// list is refreshed from the API a moment later (debounced: a burst of frames makes one request).
// Marking read is optimistic: the items are marked here first and put back if the API refuses.
import type { Notification, NotificationFrame } from '../protocol.gen'
import type { PredictionService } from './predictions'
import type { WebSocketService } from './websocket'

export type NotificationApi = Pick<PredictionService, 'notifications' | 'markRead'>
export type NotificationSocket = Pick<WebSocketService, 'onNotification'>

export interface NotificationError {
  /** What went wrong, in plain words. */
  message: string
  /** Runs the failed action again. */
  retry: () => Promise<void>
}

export interface NotificationState {
  /** Newest first, up to 50 (the API's window). */
  items: Notification[]
  /** Unread count on the server (may exceed the unread items listed), plus frames not yet refreshed. */
  unread: number
  /** A request for the list is under way. */
  loading: boolean
  error: NotificationError | null
}

/** How long a frame waits for others before the list is refreshed. */
export const REFRESH_DEBOUNCE_MS = 300

function messageOf(error: unknown, fallback: string): string {
  return error instanceof Error && error.message ? error.message : fallback
}

export class NotificationCenter {
  private state: NotificationState = { items: [], unread: 0, loading: false, error: null }
  private listeners = new Set<() => void>()
  private arrivalListeners = new Set<(frame: NotificationFrame) => void>()
  private readonly api: NotificationApi
  private readonly socket: NotificationSocket
  private readonly debounceMs: number
  private timer: ReturnType<typeof setTimeout> | null = null
  private unsubscribe: (() => void) | null = null
  private starts = 0
  /** Numbers the list requests: only the latest one's answer is used. */
  private requests = 0
  /** Bumped by every local change (frame, mark read) a list answer requested before it would undo. */
  private epoch = 0
  /** A list answer was dropped as stale while marking read: fetch again once that settles. */
  private stale = false
  private marking = 0

  constructor(api: NotificationApi, socket: NotificationSocket, options: { debounceMs?: number } = {}) {
    this.api = api
    this.socket = socket
    this.debounceMs = options.debounceMs ?? REFRESH_DEBOUNCE_MS
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): NotificationState => this.state

  /** Called with each notification frame as it arrives (not for the first load): for announcing it. */
  onArrival(listener: (frame: NotificationFrame) => void): () => void {
    this.arrivalListeners.add(listener)
    return () => this.arrivalListeners.delete(listener)
  }

  private set(patch: Partial<NotificationState>): void {
    this.state = { ...this.state, ...patch }
    this.listeners.forEach((listener) => listener())
  }

  /**
   * Load the list and follow the socket's notification frames. Returns the function that stops following
   * them. Calls nest: the frames are followed until every start has been stopped (StrictMode-safe).
   */
  start(): () => void {
    this.starts += 1
    if (this.starts === 1) {
      this.unsubscribe = this.socket.onNotification((frame) => this.onFrame(frame))
      void this.refresh()
    }
    let stopped = false
    return () => {
      if (stopped) return
      stopped = true
      this.starts -= 1
      if (this.starts === 0) this.stop()
    }
  }

  private stop(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.requests += 1 // answers still under way are dropped
    if (this.state.loading) this.set({ loading: false })
  }

  /** Fetch the list again. Errors are kept in the state (with a retry), never thrown. */
  async refresh(): Promise<void> {
    const request = ++this.requests
    const epoch = this.epoch
    this.set({ loading: true, error: this.loadFailed ? null : this.state.error })
    try {
      const list = await this.api.notifications()
      if (request !== this.requests) return
      if (epoch !== this.epoch) {
        // Requested before a frame or a mark-read: the pending refresh (or the one after marking) follows.
        this.stale = true
        if (this.timer === null && this.marking === 0) void this.refresh()
        return
      }
      this.stale = false
      // A mark-read error stays on screen until dismissed by the next mark-read; a load error is over.
      this.set({ items: list.items, unread: list.unread, loading: false, error: this.loadFailed ? null : this.state.error })
    } catch (e) {
      if (request !== this.requests) return
      this.set({ loading: false, error: { message: messageOf(e, 'Could not load your notifications.'), retry: this.refreshRetry } })
    }
  }

  private refreshRetry = (): Promise<void> => this.refresh()

  private get loadFailed(): boolean {
    return this.state.error?.retry === this.refreshRetry
  }

  /** Mark the named notifications read, or all of them when no ids are given. */
  async markRead(ids?: string[]): Promise<void> {
    const wanted = ids ? new Set(ids) : null
    const marked = new Set(
      this.state.items.filter((n) => !n.read && (!wanted || wanted.has(n.notification_id))).map((n) => n.notification_id),
    )
    const before = this.state.unread
    const unread = wanted ? Math.max(0, before - marked.size) : 0
    if (marked.size === 0 && unread === before) return // nothing to mark
    const retry = () => this.markRead(ids)
    this.epoch += 1
    this.marking += 1
    this.set({
      items: this.state.items.map((n) => (marked.has(n.notification_id) ? { ...n, read: true } : n)),
      unread,
      error: null,
    })
    try {
      await this.api.markRead(ids)
    } catch (e) {
      // Put back what this call marked (other changes since then stay).
      this.epoch += 1
      this.set({
        items: this.state.items.map((n) => (marked.has(n.notification_id) ? { ...n, read: false } : n)),
        unread: this.state.unread + (before - unread),
        error: { message: messageOf(e, 'Could not mark your notifications as read.'), retry },
      })
    } finally {
      this.marking -= 1
      if (this.stale && this.marking === 0 && this.timer === null && this.unsubscribe) void this.refresh()
    }
  }

  private onFrame(frame: NotificationFrame): void {
    this.epoch += 1
    this.set({ unread: this.state.unread + 1 })
    this.arrivalListeners.forEach((listener) => listener(frame))
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.refresh()
    }, this.debounceMs)
  }
}
