import { mkdtemp, mkdir, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { RunStore } from '../../services/run-store.js'

const ID = '11111111-2222-4333-8444-555555555555'

t.test('a failed atomic write leaves no temporary file behind (issue 8 item 5)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-atomic-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new RunStore(dir)
  await store.init()
  await store.create(ID, { config_name: 'x', execution_mode: 'eco', safety_level: 'kids', expected_outputs: [], owner: 'o' })
  // A directory where the entity file must go: the rename over it fails after the temporary file was written.
  await mkdir(join(dir, ID, '01_input.txt'))
  await t.rejects(store.record(ID, 'input', 'Lena'))
  t.same((await readdir(join(dir, ID))).filter((n) => n.startsWith('.tmp-')), [], 'the temporary file is gone')
  await store.finish(ID)
})

t.test('continueRun: only the owner, only a finished run, and only one taker at a time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'artsed-continue-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new RunStore(dir)
  await store.init()
  await store.create(ID, { config_name: 'x', execution_mode: 'eco', safety_level: 'kids', expected_outputs: [], owner: 'mine' })
  t.notOk(await store.continueRun(ID, 'mine'), 'not while it is in progress')
  await store.finish(ID)
  t.notOk(await store.continueRun(ID, 'theirs'), 'not another browser')
  t.notOk(await store.continueRun('22222222-2222-4333-8444-555555555555', 'mine'), 'not an unknown id')
  const both = await Promise.all([store.continueRun(ID, 'mine'), store.continueRun(ID, 'mine')])
  t.same(both.sort(), [false, true], 'two requests at once: one takes it')
  t.notOk(await store.remove(ID), 'retention never removes it while taken')
  await store.finish(ID)
  t.ok(await store.remove(ID))
})
