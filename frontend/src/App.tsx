import { useEffect, useMemo, useState } from 'react'
import type { AppConfig } from './config'
import { DueList } from './components/DueList'
import { NotificationBell } from './components/NotificationBell'
import { MakeCall } from './components/MakeCall'
import { MyCalls } from './components/MyCalls'
import { SignIn } from './components/SignIn'
import { TrackRecordPage } from './components/TrackRecord'
import { AuthService, type Session } from './services/auth'
import { CallSession } from './services/callSession'
import { NotificationCenter } from './services/notifications'
import { PredictionService } from './services/predictions'
import { WebSocketService, type ConnectionState } from './services/websocket'

type Route = 'call' | 'calls' | 'due' | 'record'
const ROUTES: { id: Route; label: string }[] = [
  { id: 'call', label: 'Make a Call' },
  { id: 'calls', label: 'My Calls' },
  { id: 'due', label: 'Due' },
  { id: 'record', label: 'Track record' },
]

function routeFromHash(): Route {
  const id = window.location.hash.replace('#/', '')
  return ROUTES.some((r) => r.id === id) ? (id as Route) : 'call'
}

export function App({ config }: { config: AppConfig }) {
  const auth = useMemo(() => new AuthService(config.cognitoEndpoint, config.cognitoClientId), [config])
  const [session, setSession] = useState<Session | null>(() => auth.current())
  const [route, setRoute] = useState<Route>(routeFromHash)
  const [connection, setConnection] = useState<ConnectionState>('idle')
  const api = useMemo(() => new PredictionService(config.apiUrl, () => auth.token()), [auth, config])
  const socket = useMemo(() => new WebSocketService({ url: config.websocketUrl, token: () => auth.token() }), [auth, config])
  // The call in progress lives here, above the tabs: switching tabs or reloading keeps it.
  const call = useMemo(() => new CallSession(socket), [socket])

  // Verdicts and due calls that arrive while the app is open: the bell counts and announces them,
  // and the lists reload.
  const [refreshKey, setRefreshKey] = useState(0)
  // One per signed-in user: signing in as someone else never shows the last user's list.
  const userEmail = session?.email
  const notifications = useMemo(() => (userEmail ? new NotificationCenter(api, socket) : null), [api, socket, userEmail])

  useEffect(() => socket.onStateChange(setConnection), [socket])
  useEffect(
    () =>
      socket.onNotification(() => {
        setRefreshKey((k) => k + 1)
      }),
    [socket],
  )
  useEffect(() => {
    // Open the socket once signed in, so scheduled verdicts reach this tab.
    if (session) socket.connect().catch(() => undefined)
  }, [socket, session])
  useEffect(() => () => socket.close(), [socket])
  useEffect(() => {
    if (session) void call.restore()
  }, [call, session])
  useEffect(() => {
    const onHash = () => setRoute(routeFromHash())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])

  function go(next: Route) {
    window.location.hash = `#/${next}`
    setRoute(next)
  }

  function signOut() {
    call.clear()
    socket.close()
    auth.signOut()
    setSession(null)
  }

  return (
    <div className="app">
      <header>
        <h1>CalledIt</h1>
        {session && (
          <nav aria-label="Main">
            {ROUTES.map((r) => (
              <a key={r.id} href={`#/${r.id}`} aria-current={route === r.id ? 'page' : undefined}>{r.label}</a>
            ))}
            {notifications && <NotificationBell center={notifications} onOpen={() => go('due')} />}
            <button type="button" className="link" onClick={signOut}>Sign out</button>
          </nav>
        )}
      </header>
      <main>
        {!session && <SignIn auth={auth} onSignedIn={setSession} />}
        {session && connection === 'reconnecting' && (
          <p role="status" className="banner">Connection lost, reconnecting… your call will resume.</p>
        )}
        {session && route === 'call' && (
          <MakeCall session={call} api={api} onSaved={() => go('calls')} userKey={session.email} />
        )}
        {session && route === 'calls' && <MyCalls api={api} socket={socket} refreshKey={refreshKey} />}
        {session && route === 'due' && <DueList api={api} socket={socket} refreshKey={refreshKey} />}
        {session && route === 'record' && <TrackRecordPage key={refreshKey} load={() => api.stats()} />}
      </main>
      <footer className="muted">
        Signed in as {session?.email ?? '—'}
        {config.mode === 'local' && <> · <a href="/outbox">Outbox (local reminder emails)</a></>}
      </footer>
    </div>
  )
}
