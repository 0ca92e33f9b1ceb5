import { beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthError, AuthService } from './auth'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status })
}

beforeEach(() => localStorage.clear())

describe('AuthService', () => {
  it('signs in with USER_PASSWORD_AUTH and keeps the session', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(200, { AuthenticationResult: { IdToken: 'id', RefreshToken: 'r', ExpiresIn: 3600 } })))
    const auth = new AuthService('http://idp/', 'client', localStorage, fetchFn)
    const session = await auth.signIn('a@b.io', 'password1')
    const [, init = {}] = fetchFn.mock.calls[0]
    expect((init.headers as Record<string, string>)['X-Amz-Target']).toBe('AWSCognitoIdentityProviderService.InitiateAuth')
    expect(JSON.parse(init.body as string)).toMatchObject({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'client' })
    expect(session.idToken).toBe('id')
    expect(await auth.token()).toBe('id')
    auth.signOut()
    expect(await auth.token()).toBeNull()
  })

  it('refreshes an expiring token', async () => {
    localStorage.setItem('calledit.session', JSON.stringify({ idToken: 'old', refreshToken: 'r', expiresAt: Date.now() + 1000, email: 'a' }))
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(200, { AuthenticationResult: { IdToken: 'new', ExpiresIn: 3600 } })))
    const auth = new AuthService('http://idp/', 'client', localStorage, fetchFn)
    expect(await auth.token()).toBe('new')
  })

  it('maps Cognito errors to plain words', async () => {
    const fetchFn = vi.fn<typeof fetch>(() => Promise.resolve(reply(400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' })))
    const auth = new AuthService('http://idp/', 'client', localStorage, fetchFn)
    const error = await auth.signIn('a@b.io', 'wrong-pass').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe('Incorrect email or password.')
  })

  it('keeps the namespaced Cognito error type, and falls back to plain words for an odd error body', async () => {
    const namespaced = vi.fn<typeof fetch>(() => Promise.resolve(reply(400, { __type: 'com.amazonaws#UserNotConfirmedException' })))
    const first = await new AuthService('http://idp/', 'client', localStorage, namespaced).signIn('a@b.io', 'p').catch((e: unknown) => e)
    expect(first).toMatchObject({ type: 'UserNotConfirmedException', message: 'Confirm your email first: enter the code we sent you.' })
    const odd = vi.fn<typeof fetch>(() => Promise.resolve(reply(500, { __type: 42, message: ['x'] })))
    const second = await new AuthService('http://idp/', 'client', localStorage, odd).signIn('a@b.io', 'p').catch((e: unknown) => e)
    expect(second).toMatchObject({ type: 'Error', message: 'Sign-in failed.' })
  })
})
