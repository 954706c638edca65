import t from 'tap'
import { parseNdjson } from '../../services/ollama/ndjson.js'

async function collect (chunks: Uint8Array[]): Promise<unknown[]> {
  async function * source (): AsyncGenerator<Uint8Array> { for (const c of chunks) yield c }
  const out: unknown[] = []
  for await (const v of parseNdjson(source())) out.push(v)
  return out
}

const lines = [
  { message: { content: 'Grüße ' } },
  { message: { content: '✨🎨' } },
  { message: { content: 'über' } },
  { done: true, eval_count: 3 }
]
const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n')

t.test('every cut position, including inside multi-byte characters, gives the same objects', async (t) => {
  for (let cut = 1; cut < bytes.length; cut++) {
    const got = await collect([bytes.subarray(0, cut), bytes.subarray(cut)])
    if (JSON.stringify(got) !== JSON.stringify(lines)) t.fail(`cut at ${cut} gave ${JSON.stringify(got)}`)
  }
  t.same(await collect([...bytes].map((b) => Uint8Array.of(b))), lines, 'one byte at a time')
})

t.test('a last line without a newline is still parsed; blank lines are skipped', async (t) => {
  t.same(await collect([Buffer.from('\n{"a":1}\n\n{"b":2}')]), [{ a: 1 }, { b: 2 }])
})

t.test('a line that is not JSON is an UPSTREAM_BAD_RESPONSE', async (t) => {
  await t.rejects(collect([Buffer.from('{"a":1}\nnot json\n')]), { code: 'UPSTREAM_BAD_RESPONSE' })
})
