import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../services/predictions'
import { errorMessage, RetryAlert } from './RetryAlert'

describe('errorMessage', () => {
  it("uses the error's own plain-words message", () => {
    expect(errorMessage(new ApiError(0, 'network', 'Cannot reach the server.'), 'fallback')).toBe('Cannot reach the server.')
    expect(errorMessage(new TypeError('boom'), 'fallback')).toBe('boom')
  })

  it('falls back for anything that is not an Error, or an Error without a message', () => {
    expect(errorMessage('a string', 'Could not save the call.')).toBe('Could not save the call.')
    expect(errorMessage(undefined, 'Could not save the call.')).toBe('Could not save the call.')
    expect(errorMessage({ message: 'not an Error' }, 'Could not save the call.')).toBe('Could not save the call.')
    expect(errorMessage(new Error(''), 'Could not save the call.')).toBe('Could not save the call.')
  })
})

describe('RetryAlert', () => {
  it('announces the message and runs the action again on Retry, once per click', async () => {
    const onRetry = vi.fn(() => Promise.resolve())
    render(<RetryAlert message="Cannot reach the server." onRetry={onRetry} />)
    expect(screen.getByRole('alert')).toHaveTextContent('Cannot reach the server. Retry')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }))
    expect(onRetry).toHaveBeenCalledTimes(1)
  })
})
