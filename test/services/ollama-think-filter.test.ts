import t from 'tap'
import { ThinkFilter, stripThink } from '../../services/ollama/think.js'

function streamed (pieces: string[]): { shown: string[], all: string } {
  const f = new ThinkFilter()
  const shown: string[] = []
  for (const p of pieces) { const s = f.push(p); if (s !== '') shown.push(s) }
  const rest = f.flush()
  if (rest !== '') shown.push(rest)
  return { shown, all: shown.join('') }
}

const text = '\n<think>\nThe user wants a house. </thin No, keep going.\n</think>\n\nEin grünes Haus ✨'

t.test('every cut into two and three pieces shows only the answer, never a piece of reasoning', async (t) => {
  for (let a = 0; a <= text.length; a++) {
    for (let b = a; b <= text.length; b += 3) {
      const { shown, all } = streamed([text.slice(0, a), text.slice(a, b), text.slice(b)])
      if (all !== 'Ein grünes Haus ✨' || shown.some((s) => /user|think|keep/.test(s))) t.fail(`cut ${a}/${b}: ${JSON.stringify(shown)}`)
    }
  }
  t.same(streamed([...text]).all, 'Ein grünes Haus ✨', 'one character at a time')
})

t.test('an answer without a block passes as it is, a later <think> included', async (t) => {
  t.equal(stripThink('Hello <think>x</think> there'), 'Hello <think>x</think> there')
  t.equal(stripThink('  <thin'), '  <thin', 'a start that only looked like a tag is kept at the end')
  t.same(streamed(['<', 'b>bold</b>']).shown, ['<b>bold</b>'])
  t.equal(stripThink(''), '')
})

t.test('an unclosed block leaves no answer', async (t) => {
  const f = new ThinkFilter()
  t.equal(f.push('<think>still reasoning when the budget ran out'), '')
  t.ok(f.thinking)
  t.equal(f.flush(), '')
})
