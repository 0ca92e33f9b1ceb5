import { useState, type FormEvent } from 'react'
import { AuthError, type AuthService, type Session } from '../services/auth'
import { errorMessage } from './RetryAlert'

/** Sign in, or sign up (with the email confirmation step Cognito may ask for). */
export function SignIn({ auth, onSignedIn }: { auth: AuthService; onSignedIn: (session: Session) => void }) {
  const [mode, setMode] = useState<'signin' | 'signup' | 'confirm'>('signin')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (mode === 'signup') {
        const { confirmed } = await auth.signUp(email.trim(), password)
        if (!confirmed) {
          setMode('confirm')
          return
        }
      } else if (mode === 'confirm') {
        await auth.confirm(email.trim(), code.trim())
      }
      onSignedIn(await auth.signIn(email.trim(), password))
    } catch (e) {
      if (e instanceof AuthError && e.type === 'UserNotConfirmedException') setMode('confirm')
      setError(errorMessage(e, 'Sign-in failed.'))
    } finally {
      setBusy(false)
    }
  }

  const title = mode === 'signup' ? 'Create your account' : mode === 'confirm' ? 'Confirm your email' : 'Sign in'
  return (
    <section className="card narrow" aria-labelledby="signin-title">
      <h2 id="signin-title">{title}</h2>
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} />
        {mode === 'confirm' && (
          <>
            <label htmlFor="code">Confirmation code</label>
            <input id="code" inputMode="numeric" required value={code} onChange={(e) => setCode(e.target.value)} />
          </>
        )}
        {error && <p role="alert" className="error">{error}</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {mode === 'signup' ? 'Sign up' : mode === 'confirm' ? 'Confirm and sign in' : 'Sign in'}
          </button>
          <button type="button" className="link" onClick={() => { setError(null); setMode(mode === 'signup' ? 'signin' : 'signup') }}>
            {mode === 'signup' ? 'I have an account' : 'Create an account'}
          </button>
        </div>
      </form>
    </section>
  )
}
