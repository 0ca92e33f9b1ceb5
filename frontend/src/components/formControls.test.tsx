import { fireEvent, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { MAX_TAG_CHARS, MAX_TAGS } from '../protocol.gen'
import { ConfidenceInput } from './ConfidenceInput'
import { normaliseTag, TagsInput } from './TagsInput'

/** Controlled like in the app: the harness owns the value and records every onChange. */
function ConfidenceHarness({ initial = null, spy }: { initial?: number | null; spy: (v: number | null) => void }) {
  const [value, setValue] = useState<number | null>(initial)
  return (
    <ConfidenceInput
      value={value}
      onChange={(next) => {
        spy(next)
        setValue(next)
      }}
    />
  )
}

function TagsHarness({ initial = [], spy }: { initial?: string[]; spy: (tags: string[]) => void }) {
  const [tags, setTags] = useState<string[]>(initial)
  return (
    <form onSubmit={(event) => event.preventDefault()}>
      <TagsInput
        value={tags}
        onChange={(next) => {
          spy(next)
          setTags(next)
        }}
      />
      <button type="submit">Log it</button>
    </form>
  )
}

function chipTexts(): string[] {
  const list = screen.queryByRole('list', { name: 'Tags added' })
  if (!list) return []
  return within(list)
    .getAllByRole('listitem')
    .map((item) => item.querySelector('span')?.textContent ?? '')
}

describe('ConfidenceInput', () => {
  it('is off by default and turns on at 70 %', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<ConfidenceHarness spy={spy} />)
    const toggle = screen.getByRole('checkbox', { name: 'Add my confidence' })
    expect(toggle).not.toBeChecked()
    expect(screen.queryByRole('slider')).not.toBeInTheDocument()
    expect(screen.getByText("Locked when you log the call — it's your receipt.")).toBeInTheDocument()

    await user.click(toggle)
    expect(spy).toHaveBeenLastCalledWith(70)
    expect(toggle).toBeChecked()
    const slider = screen.getByRole('slider', { name: 'How sure are you that it comes true?' })
    expect(slider).toHaveValue('70')
    expect(slider).toHaveAttribute('aria-valuetext', '70 percent')
    expect(screen.getByRole('spinbutton', { name: 'Confidence in percent' })).toHaveValue(70)
    expect(screen.getByText('70 % sure it comes true')).toBeInTheDocument()
  })

  it('keeps the slider and the number box in step', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<ConfidenceHarness initial={70} spy={spy} />)
    const slider = screen.getByRole('slider')
    const number = screen.getByRole('spinbutton', { name: 'Confidence in percent' })

    fireEvent.change(slider, { target: { value: '42' } })
    expect(spy).toHaveBeenLastCalledWith(42)
    expect(number).toHaveValue(42)
    expect(slider).toHaveAttribute('aria-valuetext', '42 percent')
    expect(screen.getByText('42 % sure it comes true')).toBeInTheDocument()

    await user.clear(number)
    await user.type(number, '85')
    expect(spy).toHaveBeenLastCalledWith(85)
    expect(slider).toHaveValue('85')
    expect(slider).toHaveAttribute('aria-valuetext', '85 percent')
    expect(screen.getByText('85 % sure it comes true')).toBeInTheDocument()
  })

  it.each([
    ['0', '0'],
    ['100', '100'],
    ['empty', ''],
  ])('never reports an invalid number (%s) and says why', async (_name, typed) => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<ConfidenceHarness initial={55} spy={spy} />)
    const number = screen.getByRole('spinbutton', { name: 'Confidence in percent' })
    await user.clear(number)
    if (typed) await user.type(number, typed)

    for (const [reported] of spy.mock.calls) {
      expect(Number.isInteger(reported) && reported >= 1 && reported <= 99).toBe(true)
    }
    expect(number).toHaveAttribute('aria-invalid', 'true')
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent('Enter a whole number from 1 to 99.')
    expect(number).toHaveAccessibleDescription('Enter a whole number from 1 to 99.')
    // The committed value is the last valid one.
    expect(screen.getByRole('slider')).toHaveValue(typed === '100' ? '10' : '55')

    // Fixing it clears the error.
    await user.clear(number)
    await user.type(number, '60')
    expect(spy).toHaveBeenLastCalledWith(60)
    expect(number).not.toHaveAttribute('aria-invalid')
    expect(screen.getByRole('alert')).toHaveTextContent('')
  })

  it('refuses letters and decimals', () => {
    const spy = vi.fn()
    render(<ConfidenceHarness initial={55} spy={spy} />)
    const number = screen.getByRole('spinbutton', { name: 'Confidence in percent' })
    // jsdom sanitises letters out of a number input (browsers do too), so "abc" arrives as "".
    fireEvent.change(number, { target: { value: 'abc' } })
    expect(screen.getByRole('alert')).toHaveTextContent('Enter a whole number from 1 to 99.')
    fireEvent.change(number, { target: { value: '12.5' } })
    expect(screen.getByRole('alert')).toHaveTextContent('Enter a whole number from 1 to 99.')
    expect(number).toHaveValue(12.5)
    expect(spy).not.toHaveBeenCalled()
    expect(screen.getByText('55 % sure it comes true')).toBeInTheDocument()
  })

  it('a slider move replaces an invalid typed number', () => {
    const spy = vi.fn()
    render(<ConfidenceHarness initial={55} spy={spy} />)
    const number = screen.getByRole('spinbutton', { name: 'Confidence in percent' })
    fireEvent.change(number, { target: { value: '0' } })
    expect(number).toHaveAttribute('aria-invalid', 'true')
    fireEvent.change(screen.getByRole('slider'), { target: { value: '30' } })
    expect(spy).toHaveBeenLastCalledWith(30)
    expect(number).toHaveValue(30)
    expect(number).not.toHaveAttribute('aria-invalid')
  })

  it('turning it off sets null, and on again restores the last value', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<ConfidenceHarness initial={64} spy={spy} />)
    const toggle = screen.getByRole('checkbox', { name: 'Add my confidence' })
    expect(toggle).toBeChecked()
    await user.click(toggle)
    expect(spy).toHaveBeenLastCalledWith(null)
    expect(screen.queryByRole('slider')).not.toBeInTheDocument()
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument()
    await user.click(toggle)
    expect(spy).toHaveBeenLastCalledWith(64)
  })

  it('uses the given id for the checkbox', () => {
    render(<ConfidenceInput id="conf" value={20} onChange={() => {}} />)
    expect(screen.getByRole('checkbox')).toHaveAttribute('id', 'conf')
    expect(screen.getByRole('slider')).toHaveAttribute('id', 'conf-range')
    expect(screen.getByRole('spinbutton')).toHaveAttribute('id', 'conf-number')
  })
})

describe('normaliseTag', () => {
  it.each([
    ['Premier League', 'premier-league'],
    ['#Football', 'football'],
    ['premier_league', 'premier-league'],
    ['  Premier   League  ', 'premier-league'],
    ['us/politics', 'us-politics'],
    ['a - - b', 'a-b'],
    ['--edge--', 'edge'],
    ['ＦＯＯＴＢＡＬＬ', 'football'],
    ['Straße', 'strasse'],
    ['Élections 2027', 'élections-2027'],
    ['日本', '日本'],
    ['F1', 'f1'],
    ['x'.repeat(MAX_TAG_CHARS), 'x'.repeat(MAX_TAG_CHARS)],
  ])('%j → %j', (raw, expected) => {
    expect(normaliseTag(raw)).toBe(expected)
  })

  it.each([['no way!'], ['   '], [''], ['#'], ['---'], ['x'.repeat(MAX_TAG_CHARS + 1)], ['c++'], ['a.b']])(
    'refuses %j',
    (raw) => {
      expect(normaliseTag(raw)).toBeNull()
    },
  )
})

describe('TagsInput', () => {
  it('adds with Enter and with a comma, normalised, without submitting the form', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    expect(screen.getByText(/Press Enter or comma to add/)).toBeInTheDocument()

    await user.type(input, 'Premier League{Enter}')
    expect(spy).toHaveBeenLastCalledWith(['premier-league'])
    expect(input).toHaveValue('')
    await user.type(input, '#Football,')
    expect(spy).toHaveBeenLastCalledWith(['premier-league', 'football'])
    expect(input).toHaveValue('')
    expect(chipTexts()).toEqual(['premier-league', 'football'])
    expect(input).toHaveFocus()
  })

  it('ignores duplicates', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness initial={['premier-league']} spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    await user.type(input, 'premier_league{Enter}')
    expect(spy).not.toHaveBeenCalled()
    expect(input).toHaveValue('')
    expect(chipTexts()).toEqual(['premier-league'])
    expect(screen.getByRole('alert')).toHaveTextContent('')
  })

  it('refuses an invalid tag with an alert and keeps the text', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    await user.type(input, 'no way!{Enter}')
    expect(spy).not.toHaveBeenCalled()
    expect(screen.getByRole('alert')).toHaveTextContent('Use letters, digits and hyphens only.')
    expect(input).toHaveAttribute('aria-invalid', 'true')
    expect(input).toHaveValue('no way!')

    await user.clear(input)
    expect(screen.getByRole('alert')).toHaveTextContent('')
    expect(input).not.toHaveAttribute('aria-invalid')

    await user.type(input, 'x'.repeat(MAX_TAG_CHARS + 1) + ',')
    expect(spy).not.toHaveBeenCalled()
    expect(screen.getByRole('alert')).toHaveTextContent(`at most ${MAX_TAG_CHARS} characters`)
  })

  it('ignores Enter on an empty box', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness spy={spy} />)
    await user.type(screen.getByRole('textbox', { name: 'Tags' }), '   {Enter}')
    expect(spy).not.toHaveBeenCalled()
    expect(screen.getByRole('alert')).toHaveTextContent('')
  })

  it('splits a pasted list on commas', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    await user.click(input)
    await user.paste('Football, Premier League, nope!, World Cup')
    expect(spy).toHaveBeenLastCalledWith(['football', 'premier-league'])
    expect(screen.getByRole('alert')).toHaveTextContent('nope!')
    expect(input).toHaveValue(' nope!, World Cup')
  })

  it('removes with the chip button and with Backspace in the empty box', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness initial={['a', 'b', 'c']} spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })

    await user.click(screen.getByRole('button', { name: 'Remove tag b' }))
    expect(spy).toHaveBeenLastCalledWith(['a', 'c'])
    expect(chipTexts()).toEqual(['a', 'c'])
    expect(input).toHaveFocus()

    await user.type(input, 'd{Backspace}')
    expect(spy).toHaveBeenCalledTimes(1) // Backspace deleted the typed letter, not a tag
    await user.keyboard('{Backspace}')
    expect(spy).toHaveBeenLastCalledWith(['a'])
    await user.keyboard('{Backspace}')
    expect(spy).toHaveBeenLastCalledWith([])
    expect(screen.queryByRole('list', { name: 'Tags added' })).not.toBeInTheDocument()
  })

  it(`disables the box at ${MAX_TAGS} tags and enables it again when one goes`, async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness initial={['a', 'b', 'c', 'd']} spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    expect(input).toBeEnabled()

    await user.type(input, 'e{Enter}')
    expect(spy).toHaveBeenLastCalledWith(['a', 'b', 'c', 'd', 'e'])
    expect(input).toBeDisabled()
    expect(screen.getByText(/Up to 5 tags/)).toBeInTheDocument()
    expect(input).toHaveAccessibleDescription(/Up to 5 tags/)
    // Focus does not fall back to the page when the box is disabled.
    expect(screen.getByRole('button', { name: 'Remove tag e' })).toHaveFocus()

    await user.keyboard('{Enter}')
    expect(spy).toHaveBeenLastCalledWith(['a', 'b', 'c', 'd'])
    expect(input).toBeEnabled()
    expect(input).toHaveFocus()
  })

  it('adds a pending valid tag on blur, and flags an invalid one', async () => {
    const spy = vi.fn()
    const user = userEvent.setup()
    render(<TagsHarness spy={spy} />)
    const input = screen.getByRole('textbox', { name: 'Tags' })
    await user.type(input, 'World Cup')
    await user.tab()
    expect(spy).toHaveBeenLastCalledWith(['world-cup'])
    expect(input).toHaveValue('')

    await user.type(input, 'bad!')
    await user.tab()
    expect(spy).toHaveBeenCalledTimes(1)
    expect(input).toHaveValue('bad!')
    expect(screen.getByRole('alert')).toHaveTextContent('Use letters, digits and hyphens only.')
  })

  it('uses the given id and label', () => {
    render(<TagsInput id="edit-tags" label="Topics" value={['x']} onChange={() => {}} />)
    expect(screen.getByRole('textbox', { name: 'Topics' })).toHaveAttribute('id', 'edit-tags')
    expect(screen.getByRole('list', { name: 'Topics added' })).toBeInTheDocument()
  })
})
