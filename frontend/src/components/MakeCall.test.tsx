import { act, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { ServerFrame } from '../protocol.gen'
import { CallSession } from '../services/callSession'
import type { PredictionService } from '../services/predictions'
import type { FrameHandler, WebSocketService } from '../services/websocket'
import { MakeCall } from './MakeCall'
import { PREDICTION } from '../testing/fixtures'

function setup() {
  let emit: FrameHandler = () => undefined
  const socket = {
    makeCall: vi.fn(async (_p: string, _tz: string, onFrame: FrameHandler) => {
      emit = onFrame
      return 'req-1'
    }),
    resume: vi.fn(),
    cancel: vi.fn(),
    forget: vi.fn(),
  }
  const storage = new Map<string, string>()
  const session = new CallSession(socket as unknown as WebSocketService, {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
    removeItem: (k: string) => void storage.delete(k),
  } as unknown as Storage)
  const send = (frame: ServerFrame) => act(() => emit(frame))
  return { socket, session, send }
}

const json = JSON.stringify(PREDICTION, null, 2)

describe('MakeCall', () => {
  it('builds the card while the JSON streams, never shows raw JSON, and logs the call', async () => {
    const { socket, session, send } = setup()
    const save = vi.fn(async () => ({}))
    const onSaved = vi.fn()
    render(<MakeCall session={session} api={{ save } as unknown as PredictionService} onSaved={onSaved} userKey="me@example.com" />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Your prediction'), PREDICTION.prediction_statement)
    await user.click(screen.getByRole('combobox', { name: 'Your timezone' }))
    await user.keyboard('europe/paris{Enter}')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    expect(socket.makeCall).toHaveBeenCalledWith(PREDICTION.prediction_statement, 'Europe/Paris', expect.any(Function))
    send({ type: 'status', request_id: 'req-1', seq: 0, status: 'accepted', message: 'Your call is queued.' })
    send({ type: 'text', request_id: 'req-1', seq: 1, content: 'First I check the current time.\n' })
    send({ type: 'tool', request_id: 'req-1', seq: 2, name: 'current_time', tool_use_id: 't1', phase: 'end', status: 'success', input: {}, label: 'Checking current time', result: '{}' })
    const cut = json.indexOf('"verification_method"')
    send({ type: 'text', request_id: 'req-1', seq: 3, content: 'Here is the call.\n```json\n' + json.slice(0, cut) })
    // Mid-stream: some fields filled, others pending; no JSON on screen.
    const card = screen.getByRole('article', { name: 'Structured prediction' })
    expect(within(card).getByText(/S&P 500 will close above 7000/)).toBeInTheDocument()
    expect(within(card).getByText('The end of March 2027 in Paris.')).toBeInTheDocument()
    expect(within(card).getByText(/Classifying/)).toBeInTheDocument()
    expect(card).toHaveAttribute('aria-busy', 'true')
    expect(screen.getByText('Checking current time')).toBeInTheDocument()
    expect(screen.getByText('(done)')).toBeInTheDocument()
    expect(screen.getByLabelText('Latest step')).toHaveTextContent('Here is the call.')
    expect(document.body.textContent).not.toContain('"prediction_statement"')
    send({ type: 'text', request_id: 'req-1', seq: 4, content: json.slice(cut) + '\n```\n' })
    send({ type: 'complete', request_id: 'req-1', seq: 5, content: JSON.stringify(PREDICTION), prediction: PREDICTION, model: 'offline-heuristic', usage: { input_tokens: 0, output_tokens: 0, model_calls: 1, turns: 2 }, verifiability: null })
    expect(card).toHaveAttribute('aria-busy', 'false')
    expect(within(card).getByText('Needs a data source (prices, results, weather)')).toBeInTheDocument()
    expect(screen.getByText(/Your call is ready/)).toBeInTheDocument() // announced once, when complete
    // The full transcript is one click away, behind a real button with state.
    const toggle = screen.getByRole('button', { name: 'Show the full analysis' })
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    await user.click(toggle)
    expect(screen.getByRole('button', { name: 'Hide the full analysis' })).toHaveAttribute('aria-expanded', 'true')
    expect(screen.getByLabelText('Full analysis')).toHaveTextContent('"prediction_statement"')
    await user.click(within(card).getByRole('button', { name: 'Log Call' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalled())
    expect(save).toHaveBeenCalledWith('req-1', PREDICTION, 'offline-heuristic', 'Europe/Paris', { confidence: null, tags: [] })
  })

  it('keeps the partial card on cancel, says nothing was saved, and offers Retry', async () => {
    const { socket, session, send } = setup()
    render(<MakeCall session={session} api={{} as PredictionService} onSaved={() => undefined} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Your prediction'), 'Rain tomorrow')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    send({ type: 'text', request_id: 'req-1', seq: 1, content: '```json\n{"prediction_statement": "Rain tomorrow", "date_reas' })
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(socket.cancel).toHaveBeenCalledWith('req-1')
    send({ type: 'status', request_id: 'req-1', seq: 2, status: 'cancelled', message: 'The call was cancelled.' })
    expect(screen.getByText('Cancelled — nothing saved')).toBeInTheDocument()
    expect(screen.getByText(/Rain tomorrow/, { selector: '.statement' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Retry' }))
    expect(socket.makeCall).toHaveBeenCalledTimes(2)
  })

  it('shows errors in plain words with a retry, and refuses an empty prediction', async () => {
    const { session, send } = setup()
    render(<MakeCall session={session} api={{} as PredictionService} onSaved={() => undefined} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    expect(screen.getByRole('alert')).toHaveTextContent('Type a prediction first.')
    await user.type(screen.getByLabelText('Your prediction'), 'x')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    send({ type: 'error', request_id: 'req-1', seq: 0, code: 'too_large', message: 'The prediction is too long.', retry_after: null })
    expect(await screen.findByText(/The prediction is too long/)).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument()
  })

  it('a call in progress survives leaving the tab and coming back', async () => {
    const { session, send } = setup()
    const api = {} as PredictionService
    const first = render(<MakeCall session={session} api={api} onSaved={() => undefined} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Your prediction'), 'Snow in Oslo at Christmas')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    send({ type: 'text', request_id: 'req-1', seq: 1, content: 'Thinking about Oslo.\n' })
    first.unmount() // switched to My Calls
    send({ type: 'text', request_id: 'req-1', seq: 2, content: 'Still thinking.\n' })
    render(<MakeCall session={session} api={api} onSaved={() => undefined} />)
    expect(screen.getByLabelText('Latest step')).toHaveTextContent('Still thinking.')
    expect(screen.getByRole('button', { name: 'Analysing…' })).toBeDisabled()
    expect(screen.getByLabelText('Your prediction')).toHaveValue('Snow in Oslo at Christmas')
  })
})
