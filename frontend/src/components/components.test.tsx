import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { AuthService, Session } from '../services/auth'
import { ApiError, type Page, type PredictionService } from '../services/predictions'
import type { Prediction, SavedPrediction } from '../types'
import { DueList } from './DueList'
import { LogCallButton } from './LogCallButton'
import { MyCalls } from './MyCalls'
import { CallCard } from './CallCard'
import { DraftBuilder } from '../stream/predictionDraft'
import { SignIn } from './SignIn'

const PREDICTION: Prediction = {
  prediction_statement: 'The S&P 500 will close above 7000 by March 2027',
  verification_date: '2027-03-31T21:59:59Z',
  date_reasoning: 'The end of March 2027 in Paris.',
  verification_method: { source: ['Index provider'], criteria: ['Close above 7000'], steps: ['Fetch the close', 'Compare'] },
  verifiable_category: 'api_tool_verifiable',
  category_reasoning: 'Needs market data.',
  initial_status: 'pending',
  verification_mode: 'before_date',
}

describe('CallCard (final)', () => {
  it('shows every field in words, not JSON', () => {
    render(<CallCard prediction={PREDICTION} draft={new DraftBuilder().draft} state="complete" model="offline-heuristic" />)
    expect(screen.getByText(/S&P 500 will close above 7000/)).toBeInTheDocument()
    expect(screen.getByText(/2027-03-31 21:59:59Z/)).toBeInTheDocument()
    expect(screen.getByText('The end of March 2027 in Paris.')).toBeInTheDocument()
    for (const item of ['Index provider', 'Close above 7000', 'Fetch the close', 'Compare']) {
      expect(screen.getByText(item)).toBeInTheDocument()
    }
    expect(screen.getByText('Needs a data source (prices, results, weather)')).toBeInTheDocument()
    expect(screen.getByText('offline-heuristic')).toBeInTheDocument()
    expect(document.body.textContent).not.toContain('"prediction_statement"')
  })
})

const SAVED: SavedPrediction = {
  ...PREDICTION,
  prediction_id: 'p1',
  request_id: 'req-1',
  user_id: 'u1',
  created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:00:00Z',
  timezone: 'Europe/Paris',
  model: 'offline-heuristic',
  status: 'pending',
  outcome_note: '',
}

const page = (items: SavedPrediction[], next_cursor: string | null = null): Page => ({ items, next_cursor })
const networkError = () => new ApiError(0, 'network', 'Cannot reach the server. Check your connection and retry.')
const asApi = (fake: Partial<Record<keyof PredictionService, unknown>>) => fake as unknown as PredictionService

/** Heading levels in document order: each may go at most one level deeper than the one before it. */
function expectHeadingsInOrder(container: HTMLElement, start: number) {
  const levels = [...container.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1]))
  expect(levels.length).toBeGreaterThan(0)
  expect(levels[0]).toBe(start)
  levels.slice(1).forEach((level, i) => expect(level).toBeLessThanOrEqual(levels[i] + 1))
}

describe('CallCard headings', () => {
  it('titles its lists as subsections (h3) of the page section (h2), skipping no level', () => {
    const { container } = render(
      <section>
        <h2>Make a Call</h2>
        <CallCard prediction={PREDICTION} draft={new DraftBuilder().draft} state="complete" model="offline-heuristic" />
      </section>,
    )
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Sources', 'Criteria', 'Steps'])
    expect(screen.queryAllByRole('heading', { level: 4 })).toEqual([])
    expectHeadingsInOrder(container, 2)
  })
})

describe('LogCallButton', () => {
  it('shows a failed save in words with a Retry that saves again (no automatic retry)', async () => {
    const save = vi.fn<PredictionService['save']>()
      .mockRejectedValueOnce(new ApiError(503, 'unavailable', 'The service is busy. Retry in a moment.'))
      .mockResolvedValueOnce(SAVED)
    const onSaved = vi.fn()
    render(<LogCallButton api={asApi({ save })} requestId="req-1" prediction={PREDICTION} model="m" timezone="UTC" onSaved={onSaved} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Log Call' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The service is busy. Retry in a moment.')
    expect(save).toHaveBeenCalledTimes(1)
    expect(onSaved).not.toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1))
    expect(save).toHaveBeenCalledTimes(2)
    expect(save).toHaveBeenLastCalledWith('req-1', PREDICTION, 'm', 'UTC')
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
  })
})

describe('DueList', () => {
  it('shows a failed load in words with a Retry that loads again', async () => {
    const due = vi.fn<PredictionService['due']>().mockRejectedValueOnce(networkError()).mockResolvedValueOnce(page([SAVED]))
    const { container } = render(<DueList api={asApi({ due })} />)
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server. Check your connection and retry.')
    expect(due).toHaveBeenCalledTimes(1)
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText(/S&P 500 will close above 7000/)).toBeInTheDocument()
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    expect(due).toHaveBeenCalledTimes(2)
    expectHeadingsInOrder(container, 2)
  })

  it('records an outcome, then refreshes the list', async () => {
    const due = vi.fn<PredictionService['due']>().mockResolvedValueOnce(page([SAVED])).mockResolvedValueOnce(page([]))
    const recordOutcome = vi.fn<PredictionService['recordOutcome']>().mockResolvedValue({ ...SAVED, status: 'true' })
    render(<DueList api={asApi({ due, recordOutcome })} />)
    const user = userEvent.setup()
    await user.click(await screen.findByRole('radio', { name: 'It came true' }))
    await user.type(screen.getByLabelText('Note (optional)'), 'Closed at 7100')
    await user.click(screen.getByRole('button', { name: 'Record outcome' }))
    expect(await screen.findByText(/Nothing is due/)).toBeInTheDocument()
    expect(recordOutcome).toHaveBeenCalledWith('p1', 'true', 'Closed at 7100')
    expect(due).toHaveBeenCalledTimes(2)
  })
})

describe('MyCalls', () => {
  it('says it is loading from the first render, then lists the calls with a status in words', async () => {
    const list = vi.fn<PredictionService['list']>().mockResolvedValue(page([SAVED]))
    const { container } = render(<MyCalls api={asApi({ list })} />)
    expect(screen.getByRole('status')).toHaveTextContent('Loading…')
    expect(screen.queryByText(/No calls yet/)).not.toBeInTheDocument()
    const item = (await screen.findByText(/S&P 500 will close above 7000/)).closest('li')!
    expect(within(item).getByText('Pending')).toBeInTheDocument()
    expect(screen.queryByRole('status')).not.toBeInTheDocument()
    expect(list).toHaveBeenCalledWith({ status: '', cursor: null })
    expectHeadingsInOrder(container, 2)
  })

  it('reloads for a new filter, loads more pages, and retries a failed load', async () => {
    const list = vi.fn<PredictionService['list']>()
      .mockResolvedValueOnce(page([SAVED]))
      .mockResolvedValueOnce(page([{ ...SAVED, prediction_id: 'p2', status: 'true', prediction_statement: 'It snows' }], 'c2'))
      .mockRejectedValueOnce(networkError())
      .mockResolvedValueOnce(page([{ ...SAVED, prediction_id: 'p3', status: 'true', prediction_statement: 'It rains' }]))
    render(<MyCalls api={asApi({ list })} />)
    const user = userEvent.setup()
    await screen.findByText(/S&P 500/)
    await user.selectOptions(screen.getByLabelText('Show'), 'Came true')
    expect(await screen.findByText(/It snows/)).toBeInTheDocument()
    expect(screen.queryByText(/S&P 500/)).not.toBeInTheDocument()
    expect(list).toHaveBeenLastCalledWith({ status: 'true', cursor: null })
    await user.click(screen.getByRole('button', { name: 'Load more' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server.')
    expect(list).toHaveBeenLastCalledWith({ status: 'true', cursor: 'c2' })
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText(/It rains/)).toBeInTheDocument()
    expect(list).toHaveBeenLastCalledWith({ status: 'true', cursor: null })
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
  })
})

describe('SignIn', () => {
  it('signs in from the form (Enter submits) and reports failures in words', async () => {
    const session: Session = { idToken: 'id', refreshToken: 'r', expiresAt: 0, email: 'a@b.io' }
    const signIn = vi.fn<AuthService['signIn']>()
      .mockRejectedValueOnce(new Error('Incorrect email or password.'))
      .mockResolvedValueOnce(session)
    const onSignedIn = vi.fn()
    const { container } = render(<SignIn auth={{ signIn } as unknown as AuthService} onSignedIn={onSignedIn} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email'), 'a@b.io')
    await user.type(screen.getByLabelText('Password'), 'password1{Enter}')
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password.')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(session))
    expect(signIn).toHaveBeenCalledWith('a@b.io', 'password1')
    expectHeadingsInOrder(container, 2)
  })
})
