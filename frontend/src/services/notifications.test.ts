import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Notification, NotificationFrame, NotificationList } from '../protocol.gen'
import { NotificationCenter, REFRESH_DEBOUNCE_MS, type NotificationApi } from './notifications'
import { ApiError } from './predictions'

function note(id: string, read = false, title = `Call ${id}`): Notification {
  return { notification_id: id, kind: 'verdict_ready', prediction_id: `p-${id}`, title, created_at: '2026-11-01T10:00:00Z', read }
}

const list = (items: Notification[], unread = items.filter((n) => !n.read).length): NotificationList => ({ items, unread })

function fakeSocket() {
  const listeners = new Set<(frame: NotificationFrame) => void>()
  const unsubscribed = vi.fn()
  const onNotification = vi.fn((listener: (frame: NotificationFrame) => void) => {
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
      unsubscribed()
    }
  })
  const push = (title: string) => {
    const frame: NotificationFrame = { type: 'notification', kind: 'verdict_ready', prediction_id: 'p-x', title, request_id: null, seq: 0 }
    listeners.forEach((listener) => listener(frame))
  }
  return { socket: { onNotification }, onNotification, unsubscribed, listeners, push }
}

function fakeApi(...answers: NotificationList[]) {
  const notifications = vi.fn<NotificationApi['notifications']>()
  answers.forEach((answer) => notifications.mockResolvedValueOnce(answer))
  const markRead = vi.fn<NotificationApi['markRead']>().mockResolvedValue({ marked: 1 })
  return { notifications, markRead }
}

/** A promise resolved from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const flush = () => vi.advanceTimersByTimeAsync(0)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('NotificationCenter', () => {
  it('loads on start and follows the socket', async () => {
    const api = fakeApi(list([note('a'), note('b', true)]))
    const { socket, onNotification } = fakeSocket()
    const center = new NotificationCenter(api, socket)
    expect(center.getSnapshot()).toMatchObject({ items: [], unread: 0, loading: false, error: null })
    const listener = vi.fn()
    center.subscribe(listener)

    center.start()
    expect(center.getSnapshot().loading).toBe(true)
    expect(onNotification).toHaveBeenCalledTimes(1)
    await flush()

    expect(center.getSnapshot()).toMatchObject({ unread: 1, loading: false, error: null })
    expect(center.getSnapshot().items.map((n) => n.notification_id)).toEqual(['a', 'b'])
    expect(listener).toHaveBeenCalled()
  })

  it('bumps the count on each frame, refreshes once for a burst, and reports each arrival', async () => {
    const api = fakeApi(list([note('a')]), list([note('d'), note('c'), note('b'), note('a')]))
    const { socket, push } = fakeSocket()
    const center = new NotificationCenter(api, socket)
    const arrived = vi.fn()
    center.onArrival((frame) => {
      arrived(frame.title)
    })
    center.start()
    await flush()
    expect(arrived).not.toHaveBeenCalled() // the first load announces nothing

    push('B')
    await vi.advanceTimersByTimeAsync(100)
    push('C')
    push('D')
    expect(center.getSnapshot().unread).toBe(4) // optimistic, before any request
    expect(arrived.mock.calls).toEqual([['B'], ['C'], ['D']])
    await vi.advanceTimersByTimeAsync(REFRESH_DEBOUNCE_MS - 1)
    expect(api.notifications).toHaveBeenCalledTimes(1)

    await vi.advanceTimersByTimeAsync(1)
    expect(api.notifications).toHaveBeenCalledTimes(2)
    expect(center.getSnapshot().unread).toBe(4)
    expect(center.getSnapshot().items).toHaveLength(4)
  })

  it('drops a list answer requested before a frame and uses the one after it', async () => {
    const first = deferred<NotificationList>()
    const api = fakeApi()
    api.notifications.mockReturnValueOnce(first.promise).mockResolvedValueOnce(list([note('b'), note('a')]))
    const { socket, push } = fakeSocket()
    const center = new NotificationCenter(api, socket)
    center.start()
    push('B')
    first.resolve(list([note('a')], 1)) // stale: does not know of B
    await flush()
    expect(center.getSnapshot().unread).toBe(1) // the bump, not undone
    expect(center.getSnapshot().loading).toBe(true)

    await vi.advanceTimersByTimeAsync(REFRESH_DEBOUNCE_MS)
    expect(api.notifications).toHaveBeenCalledTimes(2)
    expect(center.getSnapshot()).toMatchObject({ unread: 2, loading: false })
  })

  it('marks read optimistically and calls the API with the ids', async () => {
    const api = fakeApi(list([note('a'), note('b'), note('c', true)]))
    const center = new NotificationCenter(api, fakeSocket().socket)
    center.start()
    await flush()

    const done = center.markRead(['a'])
    expect(center.getSnapshot().unread).toBe(1)
    expect(center.getSnapshot().items.map((n) => n.read)).toEqual([true, false, true])
    await done
    expect(api.markRead).toHaveBeenCalledWith(['a'])
    expect(center.getSnapshot().unread).toBe(1)

    await center.markRead(['a']) // already read: nothing to do
    expect(api.markRead).toHaveBeenCalledTimes(1)
  })

  it('marks all read, including unread ones beyond the list', async () => {
    const api = fakeApi(list([note('a'), note('b', true)], 7))
    const center = new NotificationCenter(api, fakeSocket().socket)
    center.start()
    await flush()

    await center.markRead()
    expect(api.markRead).toHaveBeenCalledWith(undefined)
    expect(center.getSnapshot().unread).toBe(0)
    expect(center.getSnapshot().items.every((n) => n.read)).toBe(true)
  })

  it('puts the items back and keeps a retryable error when marking fails', async () => {
    const api = fakeApi(list([note('a'), note('b')]))
    api.markRead.mockRejectedValueOnce(new ApiError(0, 'network', 'Cannot reach the server.'))
    const center = new NotificationCenter(api, fakeSocket().socket)
    center.start()
    await flush()

    await center.markRead(['a'])
    const state = center.getSnapshot()
    expect(state.unread).toBe(2)
    expect(state.items.map((n) => n.read)).toEqual([false, false])
    expect(state.error?.message).toBe('Cannot reach the server.')

    await state.error?.retry()
    expect(api.markRead).toHaveBeenLastCalledWith(['a'])
    expect(center.getSnapshot()).toMatchObject({ unread: 1, error: null })
  })

  it('does not let a list answer requested before marking undo the mark', async () => {
    const api = fakeApi(list([note('a'), note('b')]))
    const center = new NotificationCenter(api, fakeSocket().socket)
    center.start()
    await flush()

    const stale = deferred<NotificationList>()
    const marked = deferred<{ marked: number }>()
    api.notifications.mockReturnValueOnce(stale.promise).mockResolvedValueOnce(list([note('a', true), note('b')]))
    api.markRead.mockReturnValueOnce(marked.promise)
    void center.refresh()
    const done = center.markRead(['a'])
    stale.resolve(list([note('a'), note('b')]))
    await flush()
    expect(center.getSnapshot().items[0].read).toBe(true)

    marked.resolve({ marked: 1 })
    await done
    await flush()
    expect(api.notifications).toHaveBeenCalledTimes(3) // fetched again once the mark settled
    expect(center.getSnapshot()).toMatchObject({ unread: 1, loading: false })
  })

  it('keeps a load failure as a retryable error', async () => {
    const api = fakeApi()
    api.notifications.mockRejectedValueOnce(new Error('')).mockResolvedValueOnce(list([]))
    const center = new NotificationCenter(api, fakeSocket().socket)
    center.start()
    await flush()
    expect(center.getSnapshot()).toMatchObject({ loading: false, error: { message: 'Could not load your notifications.' } })

    await center.getSnapshot().error?.retry()
    expect(center.getSnapshot()).toMatchObject({ loading: false, error: null, items: [] })
  })

  it('stops following frames once every start is stopped, and drops a pending refresh', async () => {
    const api = fakeApi(list([]), list([]))
    const { socket, onNotification, unsubscribed, listeners, push } = fakeSocket()
    const center = new NotificationCenter(api, socket)
    const stopA = center.start()
    const stopB = center.start()
    expect(onNotification).toHaveBeenCalledTimes(1)
    await flush()

    push('B')
    stopA()
    stopA()
    expect(unsubscribed).not.toHaveBeenCalled()
    stopB()
    expect(unsubscribed).toHaveBeenCalledTimes(1)
    expect(listeners.size).toBe(0)
    await vi.advanceTimersByTimeAsync(REFRESH_DEBOUNCE_MS * 2)
    expect(api.notifications).toHaveBeenCalledTimes(1)
  })
})
