import { mkdtemp, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { RunStore } from '../../services/run-store.js'
import { Retention, sweepRuns, sweepUploads } from '../../services/retention.js'
import { startServer } from '../helper.js'

const DAY = 86_400_000

async function tempStore (t: { teardown: (fn: () => unknown) => void }): Promise<RunStore> {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-retention-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new RunStore(dir)
  await store.init()
  return store
}

/** A finished run whose metadata says it began `daysAgo` days ago, with `bytes` of content. */
async function oldRun (store: RunStore, daysAgo: number, bytes = 10): Promise<string> {
  const id = randomUUID()
  await store.create(id, { config_name: 'x', execution_mode: 'eco', safety_level: 'kids', expected_outputs: [], owner: 'o' })
  await store.record(id, 'input', 'x'.repeat(bytes))
  await store.finish(id)
  const path = join(store.dir, id, 'metadata.json')
  const meta = JSON.parse(await readFile(path, 'utf8')) as { timestamp: string }
  meta.timestamp = new Date(Date.now() - daysAgo * DAY).toISOString()
  await writeFile(path, JSON.stringify(meta))
  return id
}

t.test('a retention sweep over runs with old timestamps: past RUNS_RETENTION_DAYS they go, never a run in progress', async (t) => {
  const store = await tempStore(t)
  const old = await oldRun(store, 40)
  const older = await oldRun(store, 400)
  const recent = await oldRun(store, 3)
  // A run taken up again (in progress) whose record is old: it stays.
  const busy = await oldRun(store, 90)
  t.ok(await store.continueRun(busy, 'o'))
  const r = await sweepRuns(store, { runsMaxAgeMs: 30 * DAY, runsMaxBytes: 0 })
  t.same(r.removed.sort(), [old, older].sort())
  t.same((await readdir(store.dir)).sort(), [busy, recent].sort(), 'the recent and the running run remain')
  await store.finish(busy)
  t.same((await sweepRuns(store, { runsMaxAgeMs: 30 * DAY, runsMaxBytes: 0 })).removed, [busy], 'once finished, it goes too')
  t.same((await sweepRuns(store, { runsMaxAgeMs: 0, runsMaxBytes: 0, now: () => Date.now() + 10_000 * DAY })).removed, [], '0 keeps runs forever')
})

t.test('RUNS_MAX_BYTES: the oldest runs go first until the store fits', async (t) => {
  const store = await tempStore(t)
  const a = await oldRun(store, 5, 5000)
  const b = await oldRun(store, 4, 5000)
  const c = await oldRun(store, 3, 5000)
  const sizeOne = await store.size(a)
  const r = await sweepRuns(store, { runsMaxAgeMs: 0, runsMaxBytes: sizeOne * 2 })
  t.same(r.removed, [a], 'only the oldest')
  t.ok(r.bytes <= sizeOne * 2)
  t.same((await readdir(store.dir)).sort(), [b, c].sort())
})

t.test('uploads past UPLOADS_RETENTION_HOURS are deleted; fresh ones stay', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-uploads-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'old.png'), 'x')
  await writeFile(join(dir, '.tmp-left'), 'x')
  await writeFile(join(dir, 'new.png'), 'x')
  const past = new Date(Date.now() - 25 * 3_600_000)
  await utimes(join(dir, 'old.png'), past, past)
  await utimes(join(dir, '.tmp-left'), past, past)
  t.equal(await sweepUploads(dir, 24 * 3_600_000), 2)
  t.same(await readdir(dir), ['new.png'])
  t.equal(await sweepUploads(join(dir, 'missing'), 1), 0, 'no uploads folder yet: nothing to do')
})

t.test('the server sweeps at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-retention-start-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new RunStore(dir)
  await store.init()
  const old = await oldRun(store, 31)
  const kept = await oldRun(store, 1)
  await mkdir(join(dir, 'uploads'))
  const s = await startServer({ RUNS_DIR: dir, RUNS_RETENTION_DAYS: '30' })
  t.same((await readdir(dir)).filter((n) => n !== 'uploads'), [kept], `the ${old} run past 30 days was deleted at start`)
  await s.close()
})

t.test('Retention.start/stop: sweeps on its timer, never two at once', async (t) => {
  const store = await tempStore(t)
  const retention = new Retention(store, { runsMaxAgeMs: DAY, runsMaxBytes: 0, uploadsDir: join(store.dir, 'uploads'), uploadsMaxAgeMs: DAY })
  const [x, y] = await Promise.all([retention.sweep(), retention.sweep()])
  t.equal(x, y, 'a second sweep while one runs shares it')
  const id = await oldRun(store, 2)
  // The timer is unref'd: this one keeps the test process alive meanwhile.
  const alive = setInterval(() => {}, 1000)
  const swept = new Promise<string[]>((resolve) => retention.start(10, (r) => { if (r.runsRemoved.length > 0) resolve(r.runsRemoved) }))
  t.same(await swept, [id])
  clearInterval(alive)
  await retention.stop()
})
