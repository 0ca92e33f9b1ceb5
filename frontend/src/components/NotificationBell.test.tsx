import { act, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { Notification, NotificationFrame, NotificationList } from '../protocol.gen'
import { NotificationCenter, type NotificationApi } from '../services/notifications'
import { ApiError } from '../services/predictions'
import { NotificationBell } from './NotificationBell'

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString()

function note(id: string, title: string, read = false, kind: Notification['kind'] = 'verdict_ready'): Notification {
  return { notification_id: id, kind, prediction_id: `p-${id}`, title, created_at: minutesAgo(5), read }
}

const RAIN = note('n1', 'Rain in Paris tomorrow')
const INDEX = note('n2', 'S&P 500 above 7000', false, 'due')
const OLD = note('n3', 'Old call', true)
const list = (items: Notification[], unread = items.filter((n) => !n.read).length): NotificationList => ({ items, unread })

function fakeSocket() {
  const listeners = new Set<(frame: NotificationFrame) => void>()
  const unsubscribed = vi.fn()
  const socket = {
    onNotification: vi.fn((listener: (frame: NotificationFrame) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
        unsubscribed()
      }
    }),
  }
  const push = (title: string) =>
    act(() => {
      const frame: NotificationFrame = { type: 'notification', kind: 'verdict_ready', prediction_id: 'p-x', title, request_id: null, seq: 0 }
      listeners.forEach((listener) => listener(frame))
    })
  return { socket, unsubscribed, push }
}

/** A center on a fake API answering `first` (then `later`, if given, to every further request). */
function setup(first: NotificationList, later?: NotificationList) {
  const notifications = vi.fn<NotificationApi['notifications']>().mockResolvedValueOnce(first)
  if (later) notifications.mockResolvedValue(later)
  const markRead = vi.fn<NotificationApi['markRead']>().mockResolvedValue({ marked: 1 })
  const fake = fakeSocket()
  const center = new NotificationCenter({ notifications, markRead }, fake.socket)
  return { center, notifications, markRead, ...fake }
}

const bell = (name: string | RegExp = /^Notifications/) => screen.getByRole('button', { name })

describe('NotificationBell', () => {
  it('shows the unread count from the first load in its accessible name, and announces nothing', async () => {
    const { center, socket } = setup(list([RAIN, INDEX, OLD]))
    render(<NotificationBell center={center} />)
    expect(await screen.findByRole('button', { name: 'Notifications, 2 unread' })).toHaveAttribute('aria-expanded', 'false')
    expect(screen.getByText('2')).toHaveClass('bell-badge')
    expect(socket.onNotification).toHaveBeenCalledTimes(1)
    expect(document.querySelector('[aria-live="polite"]')).toBeEmptyDOMElement()
  })

  it('is just "Notifications" with no badge when nothing is unread', async () => {
    const { center, notifications } = setup(list([OLD]))
    render(<NotificationBell center={center} />)
    await waitFor(() => expect(notifications).toHaveBeenCalled())
    expect(bell('Notifications')).toBeInTheDocument()
    expect(document.querySelector('.bell-badge')).toBeNull()
  })

  it('bumps the count on pushed frames, refreshes once for a burst and announces each new one', async () => {
    const NEW = [note('n5', 'Snow in Oslo'), note('n4', 'Final score')]
    const { center, notifications, push } = setup(list([RAIN]), list([...NEW, note('n6', 'Third'), RAIN]))
    render(<NotificationBell center={center} />)
    await screen.findByRole('button', { name: 'Notifications, 1 unread' })

    push('Final score')
    push('Snow in Oslo')
    push('Third')
    expect(bell('Notifications, 4 unread')).toBeInTheDocument() // at once, before the refresh
    const live = document.querySelector('[aria-live="polite"]') as HTMLElement
    expect(live).toHaveClass('visually-hidden')
    expect(within(live).getAllByText(/^New: /).map((p) => p.textContent)).toEqual([
      'New: Final score',
      'New: Snow in Oslo',
      'New: Third',
    ])

    await waitFor(() => expect(notifications).toHaveBeenCalledTimes(2))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(notifications).toHaveBeenCalledTimes(2)
    await userEvent.click(bell('Notifications, 4 unread'))
    expect(screen.getByRole('button', { name: /Snow in Oslo/ })).toBeInTheDocument()
  })

  it('does not announce arrivals while the panel is open', async () => {
    const { center, push } = setup(list([RAIN]), list([note('n9', 'While open'), RAIN]))
    render(<NotificationBell center={center} />)
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications, 1 unread' }))
    push('While open')
    expect(document.querySelector('[aria-live="polite"]')).toBeEmptyDOMElement()
    expect(await screen.findByRole('button', { name: /While open/ })).toBeInTheDocument()
  })

  it('opens a panel listing the notifications, unread ones marked', async () => {
    const { center } = setup(list([RAIN, INDEX, OLD]))
    render(<NotificationBell center={center} />)
    const button = await screen.findByRole('button', { name: 'Notifications, 2 unread' })
    expect(screen.queryByRole('region')).toBeNull()

    await userEvent.click(button)
    expect(button).toHaveAttribute('aria-expanded', 'true')
    const panel = screen.getByRole('region', { name: 'Notifications' })
    expect(panel).toHaveAttribute('id', button.getAttribute('aria-controls'))
    const items = within(panel).getAllByRole('listitem').map((li) => within(li).getByRole('button'))
    expect(items.map((b) => b.textContent)).toEqual([
      'Verdict ready: Rain in Paris tomorrow, 5 minutes ago, unread',
      'Due for review: S&P 500 above 7000, 5 minutes ago, unread',
      'Verdict ready: Old call, 5 minutes ago',
    ])
    expect(items.map((b) => b.classList.contains('bell-unread'))).toEqual([true, true, false])
    expect(within(panel).getAllByText('5 minutes ago')[0].tagName).toBe('TIME')
  })

  it('opens a notification: calls onOpen, marks it read and closes', async () => {
    const { center, markRead } = setup(list([RAIN, INDEX]))
    const onOpen = vi.fn()
    render(<NotificationBell center={center} onOpen={onOpen} />)
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }))

    await userEvent.click(screen.getByRole('button', { name: /Rain in Paris/ }))
    expect(onOpen).toHaveBeenCalledWith(RAIN)
    expect(markRead).toHaveBeenCalledWith(['n1'])
    const button = bell('Notifications, 1 unread')
    expect(button).toHaveFocus()
    expect(button).toHaveAttribute('aria-expanded', 'false')

    await userEvent.click(button)
    expect(screen.getByRole('button', { name: /Rain in Paris/ })).not.toHaveClass('bell-unread')
    await userEvent.click(screen.getByRole('button', { name: /Rain in Paris/ }))
    expect(onOpen).toHaveBeenCalledTimes(2)
    expect(markRead).toHaveBeenCalledTimes(1) // already read
  })

  it('marks all read', async () => {
    const { center, markRead } = setup(list([RAIN, INDEX, OLD]))
    render(<NotificationBell center={center} />)
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }))

    await userEvent.click(screen.getByRole('button', { name: 'Mark all read' }))
    expect(markRead).toHaveBeenCalledWith(undefined)
    expect(bell('Notifications')).toBeInTheDocument()
    expect(screen.queryByText(', unread')).toBeNull()
    expect(screen.getByRole('button', { name: 'Mark all read' })).toBeDisabled()
  })

  it('restores the items and shows the error when marking read fails', async () => {
    const { center, markRead } = setup(list([RAIN, INDEX]))
    markRead.mockRejectedValueOnce(new ApiError(0, 'network', 'Cannot reach the server. Check your connection and retry.'))
    render(<NotificationBell center={center} />)
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }))

    await userEvent.click(screen.getByRole('button', { name: 'Mark all read' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server.')
    expect(bell('Notifications, 2 unread')).toBeInTheDocument()
    expect(screen.getAllByText(', unread')).toHaveLength(2)

    await userEvent.click(screen.getByRole('button', { name: 'Retry' }))
    expect(markRead).toHaveBeenCalledTimes(2)
    expect(screen.queryByRole('alert')).toBeNull()
    expect(bell('Notifications')).toBeInTheDocument()
  })

  it('shows loading, then an error with Retry, then the empty state', async () => {
    let fail!: (e: Error) => void
    const notifications = vi
      .fn<NotificationApi['notifications']>()
      .mockReturnValueOnce(new Promise((_, reject) => (fail = reject)))
      .mockResolvedValueOnce(list([]))
    const center = new NotificationCenter({ notifications, markRead: vi.fn() }, fakeSocket().socket)
    render(<NotificationBell center={center} />)
    await userEvent.click(bell('Notifications'))
    expect(screen.getByText('Loading notifications…')).toBeInTheDocument()

    fail(new ApiError(500, 'internal', 'Something went wrong on our side.'))
    expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong on our side.')
    expect(screen.queryByText('Loading notifications…')).toBeNull()
    expect(screen.queryByText('Nothing new.')).toBeNull()

    await userEvent.click(screen.getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText('Nothing new.')).toBeInTheDocument()
    expect(screen.queryByRole('alert')).toBeNull()
  })

  it('closes on Escape and returns focus to the bell', async () => {
    const { center } = setup(list([RAIN]))
    render(<NotificationBell center={center} />)
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Notifications, 1 unread' }))
    await user.tab()
    await user.tab()
    expect(screen.getByRole('button', { name: /Rain in Paris/ })).toHaveFocus() // natural tab order

    await user.keyboard('{Escape}')
    expect(screen.queryByRole('region')).toBeNull()
    const button = bell('Notifications, 1 unread')
    expect(button).toHaveFocus()
    expect(button).toHaveAttribute('aria-expanded', 'false')
  })

  it('closes on a click outside, not on one inside', async () => {
    const { center } = setup(list([RAIN]))
    render(
      <>
        <NotificationBell center={center} />
        <p>Elsewhere</p>
      </>,
    )
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Notifications, 1 unread' }))
    await user.click(screen.getByRole('heading', { name: 'Notifications' }))
    expect(screen.getByRole('region')).toBeInTheDocument()

    await user.click(screen.getByText('Elsewhere'))
    expect(screen.queryByRole('region')).toBeNull()
  })

  it('stops following frames when unmounted', async () => {
    const { center, notifications, unsubscribed } = setup(list([RAIN]))
    const { unmount } = render(<NotificationBell center={center} />)
    await waitFor(() => expect(notifications).toHaveBeenCalled())
    unmount()
    expect(unsubscribed).toHaveBeenCalledTimes(1)
  })
})
