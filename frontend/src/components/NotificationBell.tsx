import { useEffect, useId, useRef, useState, useSyncExternalStore } from 'react'
import { countdown, formatLocal } from '../format'
import type { Notification } from '../protocol.gen'
import type { NotificationCenter } from '../services/notifications'
import { RetryAlert } from './RetryAlert'
import './NotificationBell.css'

interface Props {
  center: NotificationCenter
  /** Called when a notification is chosen in the panel (it is also marked read and the panel closes). */
  onOpen?: (n: Notification) => void
}

const KIND_LABELS: Record<Notification['kind'], string> = {
  verdict_ready: 'Verdict ready',
  due: 'Due for review',
}

/** How many recent arrivals the live region keeps. */
const ANNOUNCED = 5

/** "5 minutes ago" (a time a little ahead of this clock reads as just now). */
function ago(iso: string): string {
  return countdown(iso, Math.max(Date.now(), new Date(iso).getTime()))
}

/**
 * The header's notification bell: an unread badge, and a disclosure panel listing the notifications.
 * Starts `center` (first load, live frames) while mounted. New notifications that arrive while the panel is
 * closed are announced politely ("New: <title>").
 */
export function NotificationBell({ center, onOpen }: Props) {
  const state = useSyncExternalStore(center.subscribe, center.getSnapshot)
  const [open, setOpen] = useState(false)
  const [news, setNews] = useState<{ key: number; text: string }[]>([])
  const lastKey = useRef(0)
  const rootRef = useRef<HTMLDivElement>(null)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const panelId = useId()
  const titleId = useId()

  useEffect(() => center.start(), [center])

  // Announce arrivals while closed (an open panel shows them in its list).
  useEffect(() => {
    if (open) return undefined
    return center.onArrival((frame) => {
      lastKey.current += 1
      const item = { key: lastKey.current, text: `New: ${frame.title}` }
      setNews((previous) => [...previous.slice(1 - ANNOUNCED), item])
    })
  }, [center, open])

  // Escape (from within the bell or with focus lost) closes and returns focus; a click outside closes.
  useEffect(() => {
    if (!open) return undefined
    const inside = (target: EventTarget | null) => target instanceof Node && !!rootRef.current?.contains(target)
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || !(inside(event.target) || event.target === document.body)) return
      event.preventDefault()
      setOpen(false)
      buttonRef.current?.focus()
    }
    const onPointerDown = (event: PointerEvent) => {
      if (!inside(event.target)) setOpen(false)
    }
    document.addEventListener('keydown', onKeyDown)
    document.addEventListener('pointerdown', onPointerDown)
    return () => {
      document.removeEventListener('keydown', onKeyDown)
      document.removeEventListener('pointerdown', onPointerDown)
    }
  }, [open])

  function toggle() {
    if (!open) setNews([]) // read them in the panel instead
    setOpen(!open)
  }

  function choose(n: Notification) {
    if (!n.read) void center.markRead([n.notification_id])
    if (onOpen) {
      setOpen(false)
      buttonRef.current?.focus() // before onOpen, so the app may move focus on from here
      onOpen(n)
    }
  }

  const { items, unread, loading, error } = state
  const label = unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'

  return (
    <div className="bell" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="bell-button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={toggle}
      >
        <svg className="bell-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            d="M12 3a6 6 0 0 0-6 6v3.6l-1.7 2.9A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 15a2.5 2.5 0 0 0 5 0h-5Z"
            fill="currentColor"
          />
        </svg>
        {unread > 0 && (
          <span className="bell-badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      <section id={panelId} className="bell-panel" aria-labelledby={titleId} hidden={!open}>
        <div className="bell-head">
          <h2 id={titleId} className="bell-title">Notifications</h2>
          <button type="button" className="link" onClick={() => void center.markRead()} disabled={unread === 0}>
            Mark all read
          </button>
        </div>
        {error && <RetryAlert message={error.message} onRetry={error.retry} />}
        {loading && items.length === 0 && <p className="muted bell-note">Loading notifications…</p>}
        {!loading && !error && items.length === 0 && <p className="muted bell-note">Nothing new.</p>}
        {items.length > 0 && (
          <ul className="bell-list">
            {items.map((n) => (
              <li key={n.notification_id}>
                <button
                  type="button"
                  className={n.read ? 'bell-item' : 'bell-item bell-unread'}
                  onClick={() => choose(n)}
                >
                  <span className="bell-kind">
                    {KIND_LABELS[n.kind]}
                    <span className="visually-hidden">:</span>
                  </span>{' '}
                  <span className="bell-name">
                    {n.title}
                    <span className="visually-hidden">,</span>
                  </span>{' '}
                  <time className="bell-time" dateTime={n.created_at} title={formatLocal(n.created_at)}>
                    {ago(n.created_at)}
                  </time>
                  {!n.read && <span className="visually-hidden">, unread</span>}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="visually-hidden" aria-live="polite">
        {news.map((item) => (
          <p key={item.key}>{item.text}</p>
        ))}
      </div>
    </div>
  )
}
