import t, { type Test } from 'tap'
import { openSse, startServer } from '../helper.js'

/** A server whose event streams report every write to the socket. */
async function spied (t: Test) {
  const s = await startServer({ SAFETY_LEVEL: 'off' }, { firstTokenDelayMs: 300, tokenDelayMs: 5, reply: () => 'ein kleines Haus am See' })
  t.teardown(s.close)
  const writes: string[] = []
  const open = s.app.openRunStream
  s.app.openRunStream = (reply, runId) => {
    const raw = reply.raw
    const write = raw.write.bind(raw) as (chunk: unknown, ...rest: unknown[]) => boolean
    raw.write = ((chunk: unknown, ...rest: unknown[]) => {
      writes.push(String(chunk))
      return write(chunk, ...rest)
    }) as typeof raw.write
    return open(reply, runId)
  }
  return { s, writes }
}

const eventsOf = (text: string): string[] => [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] as string)

t.test('the events before the first token go out in one write; each token is one frame in one write', async (t) => {
  const { s, writes } = await spied(t)
  const c = openSse(s.url, { schema: 'user_defined', input_text: 'ein Haus', safety_level: 'off' })
  await c.done
  const frames = writes.filter((w) => w.includes('event: '))
  const first = frames.findIndex((w) => w.includes('event: chunk'))
  t.ok(first >= 1, 'something came before the first token')
  t.same(frames.slice(0, first).map(eventsOf), [['connected', 'stage_start', 'queue_status', 'stage_complete', 'stage_start']], 'one write with all five events')
  const chunks = frames.filter((w) => w.includes('event: chunk'))
  t.ok(chunks.every((w) => eventsOf(w).length === 1), 'one frame per write')
  const data = c.events.filter((e) => e.event === 'chunk').map((e) => e.data)
  t.same(data.map((d) => Object.keys(d).sort()), data.map(() => ['chunk_count', 'stage', 'text_chunk']), 'no accumulated unless asked')
  t.same(data.map((d) => d.chunk_count), data.map((_, i) => i + 1))
  const complete = c.events.find((e) => e.event === 'complete')
  t.equal(complete?.data.final_text, data.map((d) => d.text_chunk).join(''), 'final_text is the concatenation of the chunks')
  t.equal(complete?.data.final_text, 'ein kleines Haus am See')
})

t.test('accumulated=true: every chunk carries the text so far', async (t) => {
  const { s } = await spied(t)
  const c = openSse(s.url, { schema: 'user_defined', input_text: 'ein Haus', safety_level: 'off', accumulated: 'true' })
  await c.done
  const data = c.events.filter((e) => e.event === 'chunk').map((e) => e.data)
  t.ok(data.length > 2)
  let so = ''
  for (const d of data) {
    so += String(d.text_chunk)
    if (d.accumulated !== so) t.fail(`chunk ${String(d.chunk_count)}: ${JSON.stringify(d.accumulated)} is not ${JSON.stringify(so)}`)
  }
  t.equal(so, 'ein kleines Haus am See')
})
