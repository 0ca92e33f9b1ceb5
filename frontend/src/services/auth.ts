// Cognito's JSON API (SignUp, ConfirmSignUp, InitiateAuth) over fetch: the same code talks to
// Cognito in AWS and to the local stack's Cognito-compatible issuer.

export interface Session {
  idToken: string
  refreshToken: string
  expiresAt: number // epoch ms
  email: string
}

export class AuthError extends Error {
  readonly type: string
  constructor(type: string, message: string) {
    super(message)
    this.type = type
  }
}

const STORAGE_KEY = 'calledit.session'

const FRIENDLY: Record<string, string> = {
  NotAuthorizedException: 'Incorrect email or password.',
  UsernameExistsException: 'An account with this email already exists. Sign in instead.',
  InvalidPasswordException: 'Choose a password of at least 12 characters (a few words work well).',
  UserNotConfirmedException: 'Confirm your email first: enter the code we sent you.',
  CodeMismatchException: 'That confirmation code is not right.',
  InvalidParameterException: 'Check the email address and password.',
}

export class AuthService {
  private readonly endpoint: string
  private readonly clientId: string
  private readonly storage: Storage
  private readonly fetchFn: typeof fetch

  constructor(endpoint: string, clientId: string, storage: Storage = window.localStorage,
    fetchFn: typeof fetch = (...args) => fetch(...args)) {
    this.endpoint = endpoint
    this.clientId = clientId
    this.storage = storage
    this.fetchFn = fetchFn
  }

  private async call<T>(operation: string, body: Record<string, unknown>): Promise<T> {
    let response: Response
    try {
      response = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
      })
    } catch {
      throw new AuthError('NetworkError', 'Cannot reach the sign-in service. Check your connection and retry.')
    }
    const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (!response.ok) {
      const type = (typeof data.__type === 'string' ? data.__type : 'Error').split('#').pop() ?? 'Error'
      throw new AuthError(type, FRIENDLY[type] ?? (typeof data.message === 'string' ? data.message : 'Sign-in failed.'))
    }
    return data as T
  }

  async signUp(email: string, password: string): Promise<{ confirmed: boolean }> {
    const result = await this.call<{ UserConfirmed?: boolean }>('SignUp', {
      ClientId: this.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: email }],
    })
    return { confirmed: Boolean(result.UserConfirmed) }
  }

  async confirm(email: string, code: string): Promise<void> {
    await this.call('ConfirmSignUp', { ClientId: this.clientId, Username: email, ConfirmationCode: code })
  }

  async signIn(email: string, password: string): Promise<Session> {
    const result = await this.call<{ AuthenticationResult: { IdToken: string; RefreshToken: string; ExpiresIn: number } }>(
      'InitiateAuth',
      { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: this.clientId, AuthParameters: { USERNAME: email, PASSWORD: password } },
    )
    const auth = result.AuthenticationResult
    const session = { idToken: auth.IdToken, refreshToken: auth.RefreshToken, expiresAt: Date.now() + auth.ExpiresIn * 1000, email }
    this.storage.setItem(STORAGE_KEY, JSON.stringify(session))
    return session
  }

  current(): Session | null {
    const raw = this.storage.getItem(STORAGE_KEY)
    if (!raw) return null
    try {
      return JSON.parse(raw) as Session
    } catch {
      return null
    }
  }

  /** A valid ID token, refreshed when it is about to expire; null when signed out. */
  async token(): Promise<string | null> {
    const session = this.current()
    if (!session) return null
    if (session.expiresAt - Date.now() > 60_000) return session.idToken
    try {
      const result = await this.call<{ AuthenticationResult: { IdToken: string; ExpiresIn: number } }>('InitiateAuth', {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: this.clientId,
        AuthParameters: { REFRESH_TOKEN: session.refreshToken },
      })
      const next = { ...session, idToken: result.AuthenticationResult.IdToken, expiresAt: Date.now() + result.AuthenticationResult.ExpiresIn * 1000 }
      this.storage.setItem(STORAGE_KEY, JSON.stringify(next))
      return next.idToken
    } catch {
      this.signOut()
      return null
    }
  }

  signOut(): void {
    this.storage.removeItem(STORAGE_KEY)
  }
}
