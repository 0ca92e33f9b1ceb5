import { describe, expect, it, vi } from 'vitest'
import type { ServerFrame } from '../protocol.gen'
import { CallSession, proseOf } from './callSession'
import type { FrameHandler, WebSocketService } from './websocket'

class MemoryStorage {
  data = new Map<string, string>()
  getItem(key: string) {
    return this.data.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.data.set(key, value)
  }
  removeItem(key: string) {
    this.data.delete(key)
  }
}

function fakeSocket() {
  let handler: FrameHandler = () => undefined
  return {
    emit: (frame: ServerFrame) => handler(frame),
    makeCall: vi.fn(async (_p: string, _tz: string, onFrame: FrameHandler) => {
      handler = onFrame
      return 'req-1'
    }),
    resume: vi.fn(async (_id: string, _after: number, onFrame: FrameHandler) => {
      handler = onFrame
    }),
    cancel: vi.fn(),
    forget: vi.fn(),
    clarify: vi.fn(() => true),
  }
}

const PREDICTION = {
  prediction_statement: 'Rain in Paris tomorrow',
  verification_date: '2026-11-26T22:59:59Z',
  date_reasoning: 'End of tomorrow in Paris.',
  verification_method: { source: ['Météo-France'], criteria: ['Rain recorded'], steps: ['Check the record'] },
  verifiable_category: 'api_tool_verifiable' as const,
  category_reasoning: 'Weather data is needed.',
  initial_status: 'pending' as const,
  verification_mode: 'before_date' as const,
  clarifications: [],
}

describe('CallSession', () => {
  it('keeps the call above the page: text, tools, draft, result, and the request id for a reload', async () => {
    const socket = fakeSocket()
    const storage = new MemoryStorage()
    const session = new CallSession(socket as unknown as WebSocketService, storage as unknown as Storage)
    const seen: string[] = []
    session.subscribe(() => seen.push(session.getSnapshot().phase))
    await session.start('Rain in Paris tomorrow', 'Europe/Paris')
    expect(JSON.parse(storage.getItem('calledit.call')!)).toEqual({ requestId: 'req-1', prompt: 'Rain in Paris tomorrow', timezone: 'Europe/Paris' })
    socket.emit({ type: 'text', request_id: 'req-1', seq: 1, content: 'First I check the time.\n' })
    socket.emit({ type: 'tool', request_id: 'req-1', seq: 2, name: 'current_time', tool_use_id: 't1', phase: 'start', status: 'running', input: { timezone: 'Europe/Paris' }, label: 'Checking current time', result: null })
    socket.emit({ type: 'tool', request_id: 'req-1', seq: 3, name: 'current_time', tool_use_id: 't1', phase: 'end', status: 'success', input: { timezone: 'Europe/Paris' }, label: 'Checking current time', result: '{}' })
    socket.emit({ type: 'text', request_id: 'req-1', seq: 4, content: 'Here it is.\n```json\n{"prediction_statement": "Rain in Paris' })
    let state = session.getSnapshot()
    expect(state.liveLine).toBe('Here it is.')
    expect(state.tools).toHaveLength(1)
    expect(state.tools[0].status).toBe('success')
    expect(state.transcript.map((item) => item.kind)).toEqual(['text', 'tool', 'text'])
    expect(state.draft.prediction_statement).toEqual({ text: 'Rain in Paris', partial: true })
    socket.emit({ type: 'complete', request_id: 'req-1', seq: 5, content: JSON.stringify(PREDICTION), prediction: PREDICTION, model: 'offline-heuristic', usage: { input_tokens: 0, output_tokens: 0, model_calls: 1, turns: 2 }, verifiability: null })
    state = session.getSnapshot()
    expect(state.phase).toBe('complete')
    expect(state.result?.prediction).toEqual(PREDICTION)
    expect(storage.getItem('calledit.call')).not.toBeNull() // a reload brings the card back
    session.clear()
    expect(storage.getItem('calledit.call')).toBeNull()
    expect(seen).toContain('running')
  })

  it('restores the call of an earlier page load by resuming it from the first frame', async () => {
    const socket = fakeSocket()
    const storage = new MemoryStorage()
    storage.setItem('calledit.call', JSON.stringify({ requestId: 'req-7', prompt: 'Snow soon', timezone: 'UTC' }))
    const session = new CallSession(socket as unknown as WebSocketService, storage as unknown as Storage)
    expect(await session.restore()).toBe(true)
    expect(socket.resume).toHaveBeenCalledWith('req-7', 0, expect.any(Function))
    expect(session.getSnapshot()).toMatchObject({ requestId: 'req-7', prompt: 'Snow soon', phase: 'running' })
    expect(await session.restore()).toBe(false) // never twice over a live call
  })

  it('a restarted run resets the partial view; a refusal forgets the stored call', async () => {
    const socket = fakeSocket()
    const storage = new MemoryStorage()
    const session = new CallSession(socket as unknown as WebSocketService, storage as unknown as Storage)
    await session.start('x', 'UTC')
    socket.emit({ type: 'text', request_id: 'req-1', seq: 1, content: 'old words' })
    socket.emit({ type: 'status', request_id: 'req-1', seq: 2, status: 'restarted', message: 'The analysis was interrupted; starting over.' })
    expect(session.getSnapshot().transcript).toEqual([])
    expect(session.getSnapshot().status).toContain('starting over')
    socket.emit({ type: 'error', request_id: 'req-1', seq: 0, code: 'rate_limited', message: 'Too many.', retry_after: 15 })
    expect(session.getSnapshot().error).toEqual({ code: 'rate_limited', message: 'Too many.', retryAfter: 15 })
    expect(storage.getItem('calledit.call')).toBeNull()
  })

  it('cancel keeps what was built and says nothing was saved', async () => {
    const socket = fakeSocket()
    const session = new CallSession(socket as unknown as WebSocketService, new MemoryStorage() as unknown as Storage)
    await session.start('x', 'UTC')
    socket.emit({ type: 'text', request_id: 'req-1', seq: 1, content: '```json\n{"prediction_statement": "x", "date_reasoning": "because' })
    session.cancel()
    expect(socket.cancel).toHaveBeenCalledWith('req-1')
    socket.emit({ type: 'status', request_id: 'req-1', seq: 2, status: 'cancelled', message: 'The call was cancelled.' })
    const state = session.getSnapshot()
    expect(state.phase).toBe('cancelled')
    expect(state.status).toBe('Cancelled — nothing saved.')
    expect(state.draft.prediction_statement?.text).toBe('x')
  })
})

describe('proseOf', () => {
  it('drops fenced and bare prediction JSON, keeps the prose around it', () => {
    expect(proseOf('Intro.\n```json\n{"a": 1}\n```\nAfter.')).toBe('Intro.\n\nAfter.')
    expect(proseOf('Intro.\n```json\n{"a": ')).toBe('Intro.\n')
    expect(proseOf('Intro. {"prediction_statement": "x"')).toBe('Intro. ')
  })
})


describe('CallSession clarifying questions', () => {
  const ASKED = {
    type: 'clarify' as const,
    request_id: 'req-1',
    seq: 3,
    round: 1,
    timeout_s: 600,
    questions: [{ id: 'by_when', text: 'By when?', why: 'A date makes it checkable.', suggestions: ['within 6 months'] }],
  }

  it('waits for the answer, sends it, and shows a refused answer without ending the call', async () => {
    const socket = fakeSocket()
    const session = new CallSession(socket as unknown as WebSocketService, new MemoryStorage() as unknown as Storage)
    await session.start('Bitcoin will go up', 'UTC')
    socket.emit(ASKED)
    expect(session.getSnapshot().phase).toBe('awaiting_input')
    expect(session.active).toBe(true)
    session.answer({ by_when: 'x'.repeat(501) })
    expect(socket.clarify).toHaveBeenCalledWith('req-1', { answers: { by_when: 'x'.repeat(501) } })
    socket.emit({ type: 'error', request_id: 'req-1', seq: 0, code: 'too_large', message: 'answers.by_when: too long', retry_after: null })
    expect(session.getSnapshot().phase).toBe('awaiting_input')
    expect(session.getSnapshot().clarifyError).toBe('answers.by_when: too long')
    expect(session.getSnapshot().error).toBeNull()
    session.skip()
    expect(socket.clarify).toHaveBeenLastCalledWith('req-1', { skip: true })
    socket.emit({ type: 'status', request_id: 'req-1', seq: 0, status: 'accepted', message: 'Going on with stated assumptions.' })
    socket.emit({ type: 'status', request_id: 'req-1', seq: 4, status: 'running', message: 'Thanks: going on with your answer.' })
    expect(session.getSnapshot().phase).toBe('running')
    expect(session.getSnapshot().clarifyError).toBeNull()
  })

  it('picks the question up again from a replay after a reload', async () => {
    const socket = fakeSocket()
    const storage = new MemoryStorage()
    storage.setItem('calledit.call', JSON.stringify({ requestId: 'req-1', prompt: 'Bitcoin will go up', timezone: 'UTC' }))
    const session = new CallSession(socket as unknown as WebSocketService, storage as unknown as Storage)
    await session.restore()
    socket.emit(ASKED)
    expect(session.getSnapshot().phase).toBe('awaiting_input')
    expect(session.getSnapshot().clarify?.questions[0].id).toBe('by_when')
  })
})
