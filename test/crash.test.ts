import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { sleep } from './helper.js'
import { exited, freePort, startProcess, waitUp } from './server-process.js'

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

  let child = start(port, runsDir)
  t.teardown(() => { child.kill('SIGKILL') })
  t.ok(await up(), 'the server is up')
  const body = (i: number): string => JSON.stringify({ schema: 'overdrive', input_text: `Idee ${i}`, safety_level: 'kids' })
  for (let i = 0; i < 8; i++) {
    fetch(`${base}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }).catch(() => {})
    fetch(`${base}/api/schema/pipeline/execute?schema=bauhaus&input_text=Haus%20${i}&enable_streaming=true`).then(async (r) => await r.text()).catch(() => {})
  }
  // Kill while runs are at different stages: some wait, some stream, some are recording.
  await sleep(2500)
  child.kill('SIGKILL')
  await exited(child)

  child = start(port, runsDir)
  t.ok(await up(), 'the server starts again on the same run store')
  const before = await snapshot(runsDir)
  const runs = (await readdir(runsDir))
  t.ok(runs.length >= 3, `${runs.length} runs were recorded before the kill (runs are recorded once they get a slot)`)
  for (const run of runs) {
    const meta = JSON.parse(await readFile(join(runsDir, run, 'metadata.json'), 'utf8')) as { run_id: string, entities: Array<{ filename: string, type: string }> }
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
