import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { exited, freePort, startProcess, waitUp } from './server-process.js'

const hook = new URL('./crash-hook.ts', import.meta.url).pathname
// Three server processes start one after the other: a busy machine needs more than the default.
t.setTimeout(240_000)

/** Every file under the run store with the hash of its bytes. */
async function snapshot (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const run of await readdir(dir)) {
    for (const name of await readdir(join(dir, run))) {
      out[`${run}/${name}`] = createHash('sha256').update(await readFile(join(dir, run, name))).digest('hex')
    }
  }
  return out
}

t.test('SIGKILL in the middle of runs: after a restart every run is readable, and reading changes no byte', async (t) => {
  const runsDir = await mkdtemp(join(tmpdir(), 'artsed-crash-'))
  t.teardown(() => rm(runsDir, { recursive: true, force: true }))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const up = async (): Promise<boolean> => await waitUp(base)
  const start = (p: number, dir: string) => startProcess(p, { RUNS_DIR: dir, RUNS_PRIVATE: 'false' })

  let child: ChildProcess | undefined
  t.teardown(() => { child?.kill('SIGKILL') })
  const body = (i: number): string => JSON.stringify({ schema: 'overdrive', input_text: `Idee ${i}`, safety_level: 'kids' })
  // Kill inside a write twice: at the first file of a run, and later when runs are at different
  // stages (some wait, some stream, some record). The hook in the child holds that write half
  // done and says so; only then the kill comes.
  for (const writeNumber of [1, 12]) {
    const hooked = startProcess(port, { RUNS_DIR: runsDir, CRASH_AT_WRITE: String(writeNumber) }, hook)
    child = hooked
    const inWrite = new Promise<unknown>((resolve) => hooked.once('message', resolve))
    t.ok(await up(), 'the server is up')
    for (let i = 0; i < 8; i++) {
      fetch(`${base}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }).catch(() => {})
      fetch(`${base}/api/schema/pipeline/execute?schema=bauhaus&input_text=Haus%20${i}&enable_streaming=true`).then(async (r) => await r.text()).catch(() => {})
    }
    const where = await Promise.race([inWrite, exited(hooked).then(() => undefined)])
    t.ok(where !== undefined, `write ${writeNumber} was held half done: ${JSON.stringify(where)}`)
    hooked.kill('SIGKILL')
    await exited(hooked)
  }

  child = start(port, runsDir)
  t.ok(await up(), 'the server starts again on the same run store')
  const before = await snapshot(runsDir)
  const runs = (await readdir(runsDir))
  t.ok(runs.length >= 3, `${runs.length} runs were recorded before the kills (runs are recorded once they get a slot)`)
  for (const run of runs) {
    // A kill inside a run's first write leaves its directory without metadata: no run, cleanly.
    const raw = await readFile(join(runsDir, run, 'metadata.json'), 'utf8').catch(() => undefined)
    if (raw === undefined) {
      const res = await fetch(`${base}/api/pipeline/${run}/status`)
      t.equal(res.status, 404, `${run} has no metadata yet: not found, not an error`)
      await res.arrayBuffer()
      continue
    }
    const meta = JSON.parse(raw) as { run_id: string, entities: Array<{ filename: string, type: string }> }
    t.equal(meta.run_id, run)
    for (const e of meta.entities) {
      const res = await fetch(`${base}/api/pipeline/${run}/file/${e.filename}`)
      if (res.status !== 200) t.fail(`${run}/${e.filename} is listed but not readable (${res.status})`)
      await res.arrayBuffer()
      await (await fetch(`${base}/api/pipeline/${run}/entity/${e.type}`)).arrayBuffer()
    }
    for (const route of ['status', 'entities']) {
      const res = await fetch(`${base}/api/pipeline/${run}/${route}`)
      if (res.status !== 200) t.fail(`${run}/${route}: ${res.status}`)
      await res.json()
    }
    await (await fetch(`${base}/api/media/images/${run}`)).json()
  }
  t.same(await snapshot(runsDir), before, 'listing and reading every run changed no byte')
  child.kill('SIGTERM')
  await exited(child)
})
