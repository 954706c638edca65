import fsp, { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'

// Counts flushes and metadata.json writes made through node:fs/promises (as the store makes them).
const counts = { syncs: 0, metaWrites: 0 }
const open = fsp.open
fsp.open = async function (path: Parameters<typeof open>[0], flags?: Parameters<typeof open>[1], mode?: Parameters<typeof open>[2]) {
  const handle = await open(path, flags, mode)
  const sync = handle.sync.bind(handle)
  const datasync = handle.datasync.bind(handle)
  Object.assign(handle, {
    sync: async () => { counts.syncs++; await sync() },
    datasync: async () => { counts.syncs++; await datasync() }
  })
  return handle
} as typeof fsp.open
const rename = fsp.rename
fsp.rename = async function (from: Parameters<typeof rename>[0], to: Parameters<typeof rename>[1]) {
  if (String(to).endsWith('metadata.json')) counts.metaWrites++
  await rename(from, to)
} as typeof fsp.rename
syncBuiltinESMExports()
const { RunStore } = await import('../../services/run-store.js')

const ID = '11111111-2222-4333-8444-555555555555'
const run = { config_name: 'x', execution_mode: 'eco', safety_level: 'kids', expected_outputs: ['interception'], owner: 'mine' }

async function store (t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-commit-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const s = new RunStore(dir)
  await s.init()
  return { dir, s }
}

t.test('entities cost no flush and no metadata rewrite during the run; its end commits them all', async (t) => {
  const { dir, s } = await store(t)
  counts.syncs = 0
  counts.metaWrites = 0
  await s.create(ID, run)
  for (let i = 0; i < 6; i++) await s.record(ID, `step_${i}`, `Text ${i}`)
  await s.setState(ID, { stage: 2, step: 'interception' })
  t.equal(counts.syncs, 0, 'nothing was flushed while the run went on')
  t.equal(counts.metaWrites, 0, 'metadata.json was not written yet')
  const live = await s.metadata(ID)
  t.same(live?.entities.map((e) => e.type), ['step_0', 'step_1', 'step_2', 'step_3', 'step_4', 'step_5'], 'a reader during the run sees every entity')
  t.equal(live?.current_state.step, 'interception')

  await s.finish(ID)
  t.equal(counts.metaWrites, 1, 'metadata.json was written once, at the end')
  t.ok(counts.syncs >= 2, `the end flushed the files, the metadata and the directory (${counts.syncs} flushes)`)
  const done = JSON.parse(await readFile(join(dir, ID, 'metadata.json'), 'utf8'))
  t.equal(done.entities.length, 6, 'metadata.json lists every entity')
  t.equal(done.current_state.step, 'interception')
})

t.test('a run killed before its end is no run; a continued run killed before its new end lists its new files', async (t) => {
  const { dir, s } = await store(t)
  const OTHER = '22222222-2222-4333-8444-555555555555'
  await s.create(OTHER, run)
  await s.record(OTHER, 'input', 'ein Haus')
  await s.create(ID, run)
  await s.record(ID, 'input', 'ein Haus')
  await s.finish(ID)
  t.ok(await s.continueRun(ID, 'mine', ['image']))
  await s.record(ID, 'config_used', { config: 'x' })
  await s.record(ID, 'output_image', Buffer.from('png'), { ext: 'png' })
  // No finish: a new store on the same directory stands for the restarted server.
  const after = new RunStore(dir)
  t.equal(await after.metadata(OTHER), undefined, 'the run that never ended is not found')
  const meta = await after.metadata(ID)
  t.same(meta?.entities.map((e) => [e.sequence, e.type, e.filename]), [[1, 'input', '01_input.txt'], [2, 'config_used', '02_config_used.json'], [3, 'output_image', '03_output_image.png']])
  t.equal(meta?.owner, 'mine')
  t.same(meta?.expected_outputs, ['interception', 'image'], 'the continuation wrote what it expects')
  const names = (await readdir(join(dir, ID))).sort()
  t.same(names, ['01_input.txt', '02_config_used.json', '03_output_image.png', 'metadata.json'], 'reading wrote nothing')
  // Continued again by its owner: new entities follow the found ones.
  t.ok(await after.continueRun(ID, 'mine'))
  const e = await after.record(ID, 'interception', 'text')
  t.equal(e.sequence, 4)
  await after.finish(ID)
  const final = JSON.parse(await readFile(join(dir, ID, 'metadata.json'), 'utf8'))
  t.same(final.entities.map((x: { type: string }) => x.type), ['input', 'config_used', 'output_image', 'interception'])
})

t.test('noted entities cost no file until the run records media or ends, and keep their order', async (t) => {
  const { dir, s } = await store(t)
  await s.create(ID, run)
  s.note(ID, 'input', 'ein Haus')
  s.note(ID, 'config_used', { config: 'x' })
  t.same(await readdir(join(dir, ID)), [], 'nothing written while the run starts')
  t.same((await s.metadata(ID))?.entities.map((e) => e.type), ['input', 'config_used'], 'a reader of the run in progress sees them (from memory)')
  t.equal(s.heldFile(ID, '01_input.txt'), 'ein Haus', 'and can read them')
  const image = await s.record(ID, 'output_image', Buffer.from('png'), { ext: 'png' })
  t.equal(image.sequence, 3)
  t.same((await readdir(join(dir, ID))).sort(), ['01_input.txt', '02_config_used.json', '03_output_image.png'], 'an awaited record writes the noted ones first')
  s.note(ID, 'interception', 'Text')
  t.equal(await s.finish(ID), true)
  const meta = JSON.parse(await readFile(join(dir, ID, 'metadata.json'), 'utf8'))
  t.same(meta.entities.map((e: { filename: string }) => e.filename), ['01_input.txt', '02_config_used.json', '03_output_image.png', '04_interception.txt'])
  t.equal(await readFile(join(dir, ID, '04_interception.txt'), 'utf8'), 'Text')
})
