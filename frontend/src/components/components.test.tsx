import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { PredictionService } from '../services/predictions'
import type { WebSocketService } from '../services/websocket'
import type { Prediction, ServerFrame } from '../types'
import { MakeCall } from './MakeCall'
import { PredictionCard } from './PredictionCard'

const PREDICTION: Prediction = {
  prediction_statement: 'The S&P 500 will close above 7000 by March 2027',
  verification_date: '2027-03-31T21:59:59Z',
  date_reasoning: 'The end of March 2027 in Paris.',
  verification_method: { source: ['Index provider'], criteria: ['Close above 7000'], steps: ['Fetch the close', 'Compare'] },
  verifiable_category: 'api_tool_verifiable',
  category_reasoning: 'Needs market data.',
  initial_status: 'pending',
}

describe('PredictionCard', () => {
  it('shows every field in words, not JSON', () => {
    render(<PredictionCard prediction={PREDICTION} model="offline-heuristic" />)
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

function fakeSocket(frames: ServerFrame[]) {
  return {
    cancel: vi.fn(),
    makeCall: vi.fn(async (_p: string, _tz: string, onFrame: (f: ServerFrame) => void) => {
      setTimeout(() => frames.forEach(onFrame), 0)
      return 'req-1'
    }),
  }
}

describe('MakeCall', () => {
  it('streams text and tool chips, shows the card and logs the call', async () => {
    const frames: ServerFrame[] = [
      { type: 'status', request_id: 'req-1', seq: 0, status: 'accepted', message: 'Your call is queued.' },
      { type: 'text', request_id: 'req-1', seq: 1, content: 'Checking the time. ' },
      { type: 'tool', request_id: 'req-1', seq: 2, name: 'current_time', tool_use_id: 't1', phase: 'start', status: 'running', input: {}, label: 'Checking current time', result: null },
      { type: 'tool', request_id: 'req-1', seq: 3, name: 'current_time', tool_use_id: 't1', phase: 'end', status: 'success', input: {}, label: 'Checking current time', result: '{}' },
      { type: 'text', request_id: 'req-1', seq: 4, content: 'Done.' },
      { type: 'complete', request_id: 'req-1', seq: 5, content: JSON.stringify(PREDICTION), prediction: PREDICTION, model: 'offline-heuristic' },
    ]
    const socket = fakeSocket(frames)
    const save = vi.fn(async () => ({}))
    const onSaved = vi.fn()
    render(<MakeCall socket={socket as unknown as WebSocketService} api={{ save } as unknown as PredictionService} onSaved={onSaved} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Your prediction'), PREDICTION.prediction_statement)
    await user.clear(screen.getByLabelText('Your timezone'))
    await user.type(screen.getByLabelText('Your timezone'), 'Europe/Paris')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    expect(socket.makeCall).toHaveBeenCalledWith(PREDICTION.prediction_statement, 'Europe/Paris', expect.any(Function))
    await screen.findByText('Checking current time ✓')
    expect(screen.getByLabelText('Analysis')).toHaveTextContent('Checking the time. Done.')
    await user.click(await screen.findByRole('button', { name: 'Log Call' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalled())
    expect(save).toHaveBeenCalledWith('req-1', PREDICTION, 'offline-heuristic', 'Europe/Paris')
  })

  it('shows errors in plain words with a retry, and refuses an empty prediction', async () => {
    const socket = fakeSocket([{ type: 'error', request_id: 'req-1', seq: 0, code: 'too_large', message: 'The prediction is too long.' }])
    render(<MakeCall socket={socket as unknown as WebSocketService} api={{} as PredictionService} onSaved={() => undefined} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    expect(screen.getByRole('alert')).toHaveTextContent('Type a prediction first.')
    await user.type(screen.getByLabelText('Your prediction'), 'x')
    await user.click(screen.getByRole('button', { name: 'Make Call' }))
    expect(await screen.findByText(/The prediction is too long/)).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument()
  })
})
