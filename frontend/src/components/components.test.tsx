import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { AuthService, Session } from '../services/auth'
import { ApiError, type Page, type PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import type { SavedPrediction, ServerFrame, Verdict } from '../types'
import { ClarifyForm } from './ClarifyForm'
import { DueList } from './DueList'
import { VerifiabilityMeter } from './VerifiabilityMeter'
import { LogCallButton } from './LogCallButton'
import { MyCalls } from './MyCalls'
import { CallCard } from './CallCard'
import { DraftBuilder } from '../stream/predictionDraft'
import { SignIn } from './SignIn'
import { PREDICTION } from '../testing/fixtures'

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
  outcome: null,
  outcome_note: '',
  resolved_at: null,
  resolved_by: null,
  verdict: null,
  next_check_at: '2026-11-02T10:00:00Z',
  clarifications: [],
  verifiability: null,
  confidence: null,
  tags: [],
  share_token: null,
}

const VERDICT: Verdict = {
  outcome: 'true',
  confidence: 0.72,
  evidence: [
    { source: 'Index provider', url: 'https://example.com/close', finding: 'The index closed at 7100.', retrieved_at: '2027-04-01T08:00:00Z' },
    { source: 'Forum', url: 'javascript:alert(1)', finding: 'Someone said so.', retrieved_at: '2027-04-01T08:00:00Z' },
  ],
  reasoning: 'The close was above 7000.',
  checked_at: '2027-04-01T08:00:00Z',
  model: 'offline-verifier',
  mode: 'at_date',
  usage: { input_tokens: 10, output_tokens: 20, model_calls: 2, turns: 3 },
}
const PROPOSED: SavedPrediction = { ...SAVED, prediction_id: 'p9', status: 'proposed', verdict: VERDICT, prediction_statement: 'Proposed one' }
const RESOLVED = (item: SavedPrediction, outcome: 'true' | 'false' | 'inconclusive'): SavedPrediction => ({
  ...item,
  status: 'resolved',
  outcome,
  resolved_by: 'user',
  resolved_at: '2027-04-02T08:00:00Z',
})

const page = (items: SavedPrediction[], next_cursor: string | null = null): Page => ({ items, next_cursor })
const networkError = () => new ApiError(0, 'network', 'Cannot reach the server. Check your connection and retry.')
const asApi = (fake: Partial<Record<keyof PredictionService, unknown>>) => fake as unknown as PredictionService

/** A socket whose verify() records the frame handler, so a test can stream frames to it. */
function fakeSocket() {
  const handlers: ((frame: ServerFrame) => void)[] = []
  const verify = vi.fn((_id: string, onFrame: (frame: ServerFrame) => void) => {
    handlers.push(onFrame)
    return Promise.resolve('v-1')
  })
  const socket = { verify, cancel: vi.fn(), forget: vi.fn() } as unknown as WebSocketService
  return { socket, verify, send: (frame: ServerFrame) => handlers.at(-1)?.(frame) }
}
const noSocket = fakeSocket().socket

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
  it('logs the call with a confidence (as a probability) and normalised tags', async () => {
    const save = vi.fn<PredictionService['save']>().mockResolvedValue(SAVED)
    const onSaved = vi.fn()
    render(<LogCallButton api={asApi({ save })} requestId="req-7" prediction={PREDICTION} model="m" timezone="UTC" onSaved={onSaved} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('checkbox', { name: 'Add my confidence' }))
    const number = screen.getByLabelText('Confidence in percent')
    await user.clear(number)
    await user.type(number, '72')
    await user.type(screen.getByLabelText('Tags'), 'Premier League{Enter}#Football,')
    await user.click(screen.getByRole('button', { name: 'Log Call' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalled())
    expect(save).toHaveBeenCalledWith('req-7', PREDICTION, 'm', 'UTC', { confidence: 0.72, tags: ['premier-league', 'football'] })
  })

  it('shows a failed save in words with a Retry that saves again (no automatic retry)', async () => {
    const save = vi.fn<PredictionService['save']>()
      .mockRejectedValueOnce(new ApiError(503, 'unavailable', 'The service is busy. Retry in a moment.'))
      .mockResolvedValueOnce(SAVED)
    const onSaved = vi.fn()
    render(<LogCallButton api={asApi({ save })} requestId="req-1" prediction={PREDICTION} model="m" timezone="UTC" onSaved={onSaved} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Log Call' }))
    expect(await screen.findByText('The service is busy. Retry in a moment.')).toBeInTheDocument()
    expect(save).toHaveBeenCalledTimes(1)
    expect(onSaved).not.toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1))
    expect(save).toHaveBeenCalledTimes(2)
    expect(save).toHaveBeenLastCalledWith('req-1', PREDICTION, 'm', 'UTC', { confidence: null, tags: [] })
    expect(screen.queryByText('The service is busy. Retry in a moment.')).not.toBeInTheDocument()
  })
})

describe('DueList', () => {
  it('shows a failed load in words with a Retry that loads again', async () => {
    const due = vi.fn<PredictionService['due']>().mockRejectedValueOnce(networkError()).mockResolvedValueOnce(page([SAVED]))
    const { container } = render(<DueList api={asApi({ due })} socket={noSocket} />)
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server. Check your connection and retry.')
    expect(due).toHaveBeenCalledTimes(1)
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText(/S&P 500 will close above 7000/)).toBeInTheDocument()
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    expect(due).toHaveBeenCalledTimes(2)
    expectHeadingsInOrder(container, 2)
  })

  it('records the user\'s own outcome, and the call shows it resolved', async () => {
    const due = vi.fn<PredictionService['due']>().mockResolvedValueOnce(page([SAVED]))
    const override = vi.fn<PredictionService['override']>().mockResolvedValue({ ...RESOLVED(SAVED, 'true'), outcome_note: 'Closed at 7100' })
    render(<DueList api={asApi({ due, override })} socket={noSocket} />)
    const user = userEvent.setup()
    await user.click(await screen.findByRole('radio', { name: 'Came true' }))
    await user.type(screen.getByLabelText('Note (optional)'), 'Closed at 7100')
    await user.click(screen.getByRole('button', { name: 'Record outcome' }))
    const item = screen.getByRole('listitem', { name: /S&P 500/ })
    expect(await within(item).findByText(/Resolved by you/)).toHaveTextContent('Note: Closed at 7100')
    expect(within(item).getByText('Came true', { selector: '.badge' })).toBeInTheDocument()
    expect(within(item).queryByRole('button', { name: 'Verify now' })).not.toBeInTheDocument()
    expect(override).toHaveBeenCalledWith('p1', 'true', 'Closed at 7100')
  })

  it('confirms a proposed verdict in one tap', async () => {
    const due = vi.fn<PredictionService['due']>().mockResolvedValueOnce(page([PROPOSED, SAVED]))
    const confirm = vi.fn<PredictionService['confirm']>().mockResolvedValue(RESOLVED(PROPOSED, 'true'))
    const { container } = render(<DueList api={asApi({ due, confirm })} socket={noSocket} />)
    const [first] = await screen.findAllByRole('listitem', { name: /Proposed one|S&P/ })
    expect(within(first).getByText('Verdict to confirm')).toBeInTheDocument()
    expect(within(first).getByText('72% confident')).toBeInTheDocument()
    await userEvent.setup().click(within(first).getByRole('button', { name: 'Confirm: Came true' }))
    expect(await within(first).findByText(/Resolved by you/)).toBeInTheDocument()
    expect(confirm).toHaveBeenCalledWith('p9')
    expectHeadingsInOrder(container, 2)
  })
})

describe('VerdictCard', () => {
  it('links evidence only over http(s), and overrides with the user\'s outcome', async () => {
    const due = vi.fn<PredictionService['due']>().mockResolvedValueOnce(page([PROPOSED]))
    const override = vi.fn<PredictionService['override']>().mockResolvedValue(RESOLVED(PROPOSED, 'false'))
    render(<DueList api={asApi({ due, override })} socket={noSocket} />)
    const verdict = await screen.findByRole('region', { name: 'Verdict' })
    expect(within(verdict).getByRole('link', { name: 'Index provider' })).toHaveAttribute('href', 'https://example.com/close')
    expect(within(verdict).getByRole('link', { name: 'Index provider' })).toHaveAttribute('rel', 'noopener noreferrer')
    expect(within(verdict).queryByRole('link', { name: 'Forum' })).not.toBeInTheDocument()
    expect(within(verdict).getByText('The close was above 7000.')).toBeInTheDocument()
    const user = userEvent.setup()
    const toggle = within(verdict).getByRole('button', { name: 'Override' })
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    await user.click(toggle)
    expect(toggle).toHaveAttribute('aria-expanded', 'true')
    await user.click(within(verdict).getByRole('radio', { name: 'Did not happen' }))
    await user.click(within(verdict).getByRole('button', { name: 'Save my outcome' }))
    expect(await screen.findByText('Did not happen', { selector: '.badge' })).toBeInTheDocument()
    expect(override).toHaveBeenCalledWith('p9', 'false', '')
  })
})

describe('Verify now', () => {
  it('streams the check live, then shows the recorded verdict', async () => {
    const { socket, verify, send } = fakeSocket()
    const list = vi.fn<PredictionService['list']>().mockResolvedValue(page([SAVED]))
    const get = vi.fn<PredictionService['get']>().mockResolvedValue({ ...PROPOSED, prediction_id: 'p1', prediction_statement: SAVED.prediction_statement })
    render(<MyCalls api={asApi({ list, get })} socket={socket} />)
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Verify now' }))
    expect(verify).toHaveBeenCalledWith('p1', expect.any(Function))
    send({ type: 'status', request_id: 'v-1', seq: 1, status: 'running', message: 'Verifying your call with offline-verifier' })
    send({ type: 'text', request_id: 'v-1', seq: 2, content: 'Reading the index page.\n' })
    send({ type: 'tool', request_id: 'v-1', seq: 3, name: 'fetch_url', tool_use_id: 't1', phase: 'start', status: 'running', input: { url: 'https://example.com' }, label: 'Reading a web page', result: null })
    expect(await screen.findByText('Verifying your call with offline-verifier')).toBeInTheDocument()
    expect(screen.getByText('Reading a web page')).toBeInTheDocument()
    expect(screen.getByLabelText('Latest step')).toHaveTextContent('Reading the index page.')
    expect(screen.getByRole('button', { name: 'Stop checking' })).toBeInTheDocument()
    send({ type: 'verdict', request_id: 'v-1', seq: 4, prediction_id: 'p1', verdict: VERDICT, applied: false })
    expect(await screen.findByRole('button', { name: 'Confirm: Came true' })).toBeInTheDocument()
    expect(get).toHaveBeenCalledWith('p1')
  })

  it('says why a check could not run', async () => {
    const { socket, send } = fakeSocket()
    const list = vi.fn<PredictionService['list']>().mockResolvedValue(page([SAVED]))
    render(<MyCalls api={asApi({ list })} socket={socket} />)
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Verify now' }))
    send({ type: 'error', request_id: 'v-1', seq: 0, code: 'conflict', message: 'This call is being verified right now.', retry_after: null })
    expect(await screen.findByRole('alert')).toHaveTextContent('This call is being verified right now.')
    expect(screen.getByRole('button', { name: 'Verify again' })).toBeInTheDocument()
  })
})

describe('MyCalls', () => {
  it('says it is loading from the first render, then lists the calls with a status in words', async () => {
    const list = vi.fn<PredictionService['list']>().mockResolvedValue(page([SAVED]))
    const { container } = render(<MyCalls api={asApi({ list })} socket={noSocket} />)
    expect(screen.getByRole('status')).toHaveTextContent('Loading…')
    expect(screen.queryByText(/No calls yet/)).not.toBeInTheDocument()
    const item = await screen.findByRole('listitem', { name: /S&P 500 will close above 7000/ })
    expect(within(item).getByText('Pending')).toBeInTheDocument()
    expect(screen.queryByRole('status')).not.toBeInTheDocument()
    expect(list).toHaveBeenCalledWith({ status: undefined, outcome: undefined, cursor: null })
    expect(list).toHaveBeenCalledWith({ status: 'proposed', limit: 20 })
    expectHeadingsInOrder(container, 2)
  })

  it('shows verdicts waiting for the user first, once', async () => {
    const list = vi.fn<PredictionService['list']>((options = {}) =>
      Promise.resolve(options.status === 'proposed' ? page([PROPOSED]) : page([SAVED, PROPOSED])),
    )
    render(<MyCalls api={asApi({ list })} socket={noSocket} />)
    await screen.findByText(/S&P 500/)
    const names = screen.getAllByRole('listitem').filter((li) => li.classList.contains('call')).map((li) => li.querySelector('.statement')?.textContent)
    expect(names).toEqual(['“Proposed one”', '“The S&P 500 will close above 7000 by March 2027”'])
  })

  it('reloads for a new filter, loads more pages, and retries a failed load', async () => {
    const list = vi.fn<PredictionService['list']>()
      .mockResolvedValueOnce(page([SAVED]))
      .mockResolvedValueOnce(page([]))
      .mockResolvedValueOnce(page([{ ...RESOLVED(SAVED, 'true'), prediction_id: 'p2', prediction_statement: 'It snows' }], 'c2'))
      .mockRejectedValueOnce(networkError())
      .mockResolvedValueOnce(page([{ ...RESOLVED(SAVED, 'true'), prediction_id: 'p3', prediction_statement: 'It rains' }]))
    render(<MyCalls api={asApi({ list })} socket={noSocket} />)
    const user = userEvent.setup()
    await screen.findByText(/S&P 500/)
    await user.selectOptions(screen.getByLabelText('Show'), 'Came true')
    expect(await screen.findByText(/It snows/)).toBeInTheDocument()
    expect(screen.queryByText(/S&P 500/)).not.toBeInTheDocument()
    expect(list).toHaveBeenLastCalledWith({ status: undefined, outcome: 'true', cursor: null })
    await user.click(screen.getByRole('button', { name: 'Load more' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach the server.')
    expect(list).toHaveBeenLastCalledWith({ status: undefined, outcome: 'true', cursor: 'c2' })
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText(/It rains/)).toBeInTheDocument()
    expect(list).toHaveBeenLastCalledWith({ status: undefined, outcome: 'true', cursor: null })
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

describe('ClarifyForm', () => {
  const ASKED = {
    type: 'clarify' as const,
    request_id: 'r',
    seq: 4,
    round: 1,
    timeout_s: 600,
    questions: [
      { id: 'by_when', text: 'By when should this be judged?', why: 'Without a date it cannot be checked.', suggestions: ['end of this season (May 2027)', 'within 6 months'] },
      { id: 'threshold', text: 'What counts as coming true?', why: '', suggestions: [] },
    ],
  }

  it('lands focus on the questions; a suggestion fills the answer; Send sends only what was answered', async () => {
    const onAnswer = vi.fn()
    render(<ClarifyForm asked={ASKED} error={null} onAnswer={onAnswer} onSkip={vi.fn()} />)
    expect(screen.getByRole('heading', { name: 'A few questions before going on' })).toHaveFocus()
    const send = screen.getByRole('button', { name: 'Send answers' })
    expect(send).toBeDisabled()
    const user = userEvent.setup()
    const season = screen.getByRole('button', { name: 'end of this season (May 2027)' })
    await user.click(season)
    expect(season).toHaveAttribute('aria-pressed', 'true')
    const group = screen.getByRole('group', { name: 'By when should this be judged?' })
    expect(within(group).getByLabelText('Your answer')).toHaveValue('end of this season (May 2027)')
    expect(within(group).getByText('Without a date it cannot be checked.')).toBeInTheDocument()
    expect(screen.getByText(/Unanswered after 10 minutes/)).toBeInTheDocument()
    await user.click(send)
    expect(onAnswer).toHaveBeenCalledWith({ by_when: 'end of this season (May 2027)' })
  })

  it('skips, and shows why an answer was refused', async () => {
    const onSkip = vi.fn()
    render(<ClarifyForm asked={ASKED} error="answers.by_when: at most 500 characters" onAnswer={vi.fn()} onSkip={onSkip} />)
    expect(screen.getByRole('alert')).toHaveTextContent('at most 500 characters')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Skip' }))
    expect(onSkip).toHaveBeenCalled()
  })
})

describe('VerifiabilityMeter', () => {
  it('shows the score, each dimension with its reason, and the tips', () => {
    render(
      <VerifiabilityMeter
        value={{
          score: 0.62,
          dimensions: [
            { name: 'time_bound', score: 0.3, reason: 'No time frame was given, so one was assumed.' },
            { name: 'measurable', score: 0.3, reason: 'It names a direction, not a level.' },
            { name: 'public_source', score: 0.9, reason: 'Published data settles it.' },
            { name: 'objectivity', score: 1, reason: 'Observable by anyone.' },
          ],
          tips: ['Add a date or deadline.', 'Name a number.'],
        }}
      />,
    )
    expect(screen.getByRole('heading', { name: 'How checkable: 62%' })).toBeInTheDocument()
    expect(screen.getByRole('meter', { name: 'How checkable: 62%' })).toHaveAttribute('value', '62')
    expect(screen.getByText(/No time frame was given/)).toBeInTheDocument()
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toContain('Name a number.')
  })
})
