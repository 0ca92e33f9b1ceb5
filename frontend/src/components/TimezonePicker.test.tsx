import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { TimezonePicker } from './TimezonePicker'

const ZONES = ['UTC', 'Europe/Paris', 'Europe/Berlin', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Asia/Kathmandu']

function Harness({ initial = 'UTC' }: { initial?: string }) {
  const [zone, setZone] = useState(initial)
  return (
    <form onSubmit={(e) => e.preventDefault()}>
      <TimezonePicker id="tz" label="Your timezone" value={zone} onChange={setZone} zones={ZONES} />
      <output data-testid="chosen">{zone}</output>
    </form>
  )
}

describe('TimezonePicker', () => {
  it('filters as you type and picks with the keyboard', async () => {
    render(<Harness />)
    const user = userEvent.setup()
    const box = screen.getByRole('combobox', { name: 'Your timezone' })
    await user.click(box)
    await user.keyboard('buenos')
    const options = screen.getAllByRole('option')
    expect(options.map((o) => o.textContent)).toEqual(['America/Argentina/Buenos Aires'])
    expect(box).toHaveAttribute('aria-expanded', 'true')
    expect(box).toHaveAttribute('aria-activedescendant', options[0].id)
    await user.keyboard('{Enter}')
    expect(screen.getByTestId('chosen')).toHaveTextContent('America/Argentina/Buenos_Aires')
    expect(screen.queryByRole('listbox')).toBeNull()
  })

  it('arrow keys move through matches and a click picks', async () => {
    render(<Harness />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('combobox'))
    await user.keyboard('europe{ArrowDown}')
    expect(screen.getAllByRole('option')[1]).toHaveAttribute('aria-selected', 'true')
    await user.keyboard('{Enter}')
    expect(screen.getByTestId('chosen')).toHaveTextContent('Europe/Berlin')
    await user.click(screen.getByRole('combobox'))
    await user.keyboard('kathm')
    await user.click(screen.getByRole('option', { name: 'Asia/Kathmandu' }))
    expect(screen.getByTestId('chosen')).toHaveTextContent('Asia/Kathmandu')
  })

  it('makes an invalid zone impossible: Escape or leaving restores the last valid one', async () => {
    render(<Harness initial="Europe/Paris" />)
    const user = userEvent.setup()
    const box = screen.getByRole('combobox')
    await user.click(box)
    await user.keyboard('Mars/Olympus')
    expect(screen.getByRole('option')).toHaveTextContent('No zone matches')
    await user.tab()
    expect(screen.getByTestId('chosen')).toHaveTextContent('Europe/Paris')
    expect(box).toHaveValue('Europe/Paris')
    await user.click(box)
    await user.keyboard('america/new_york')
    await user.tab() // an exact name typed in full is taken
    expect(screen.getByTestId('chosen')).toHaveTextContent('America/New_York')
    await user.click(box)
    await user.keyboard('xyz{Escape}')
    expect(box).toHaveValue('America/New_York')
  })
})
