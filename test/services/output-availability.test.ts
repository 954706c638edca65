import t from 'tap'
import { loadCatalog } from '../../services/catalog/loader.js'
import { OutputAvailability, type ObjectInfo, type WorkflowCheck } from '../../services/catalog/output-availability.js'

const dir = new URL('../fixtures/workshop-variants/', import.meta.url).pathname
const classCheck: WorkflowCheck = (workflow, info) => {
  for (const node of Object.values(workflow)) {
    const type = (node as { class_type: string }).class_type
    if (info[type] === undefined) return { ok: false, reason: `no node ${type}` }
  }
  return { ok: true }
}
const everyNode: ObjectInfo = Object.fromEntries(['CheckpointLoaderSimple', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'SaveImage'].map((n) => [n, { input: { required: {} } }]))

t.test('ComfyUI up: its outputs are available; catalog-unavailable ones never; code always', async (t) => {
  const catalog = await loadCatalog(dir)
  const a = new OutputAvailability({ catalog, objectInfo: async () => everyNode, check: classCheck, ttlMs: 1000 })
  const r = await a.report()
  t.match(r, { comfyui_reachable: true, cached: false })
  t.same(r.availability, { bad_node: false, cloud_direct: false, cloud_router: false, legacy_mix: true, local_python: false, missing_chunk: false, old_style: false, sketch: true, toy_image: true })
  t.match(r.reasons.cloud_router, /openrouter/)
})

t.test('ComfyUI down: ComfyUI outputs are false, the sketch still runs', async (t) => {
  const catalog = await loadCatalog(dir)
  const a = new OutputAvailability({ catalog, objectInfo: async () => undefined, check: classCheck, ttlMs: 1000 })
  const r = await a.report()
  t.match(r, { comfyui_reachable: false, availability: { toy_image: false, legacy_mix: false, sketch: true } })
  t.equal(r.reasons.toy_image, 'ComfyUI does not answer')
})

t.test('a missing node makes only the outputs that use it false', async (t) => {
  const catalog = await loadCatalog(dir)
  const { SaveImage: _gone, ...info } = everyNode
  const a = new OutputAvailability({ catalog, objectInfo: async () => info, check: classCheck, ttlMs: 1000 })
  const r = await a.report()
  t.match(r.availability, { toy_image: false, sketch: true })
  t.equal(r.reasons.toy_image, 'no node SaveImage')
})

t.test('one ComfyUI call per period, however many ask at once; then cached with its age', async (t) => {
  const catalog = await loadCatalog(dir)
  let calls = 0
  let now = 1_000_000
  const a = new OutputAvailability({ catalog, objectInfo: async () => { calls++; return everyNode }, check: classCheck, ttlMs: 30_000, now: () => now })
  const first = await Promise.all([a.report(), a.report(), a.report()])
  t.equal(calls, 1, 'concurrent askers share one call')
  t.same(first.map((r) => r.cached), [false, false, false])
  now += 12_000
  t.match(await a.report(), { cached: true, cache_age_seconds: 12 })
  t.equal(calls, 1)
  now += 20_000
  t.match(await a.report(), { cached: false })
  t.equal(calls, 2, 'asked again after the period')
})
