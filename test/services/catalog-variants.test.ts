import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { CatalogError, loadCatalog } from '../../services/catalog/loader.js'
import { templateText } from '../../services/catalog/placeholders.js'
import { resolveModel } from '../../services/stages/models.js'
import Fastify from 'fastify'
import app from '../../app.js'
import { startServer, TEST_ENV } from '../helper.js'

// Our own files, written with every variant the workshop's catalog uses (its files may not be
// copied here): chunks without a name, {system, prompt} templates, string and list mappings,
// OUTPUT_CHUNK output configs, api_output_chunk / text_passthrough, cloud and unknown backends,
// a pipeline naming a chunk that does not exist, a file that is not JSON, one that breaks the schema.
const dir = new URL('../fixtures/workshop-variants/', import.meta.url).pathname

t.test('every variant loads; what cannot run is unavailable with its reason', async (t) => {
  const catalog = await loadCatalog(dir)
  t.ok(catalog.chunks.has('rewrite'), 'a chunk without a name takes its file name')
  t.equal(catalog.chunks.get('media_proxy')?.type, 'proxy_chunk')
  t.equal(templateText(catalog.chunks.get('tighten_prompt')?.template), 'You shorten image prompts.\n\nShorten: {{INPUT_TEXT}}', '{system, prompt} template')
  t.same(catalog.interceptionConfigs().map((c) => c.id).sort(), ['doodle', 'picture_in'], 'the runnable interception configs')
  const runnable = catalog.outputConfigs().filter((c) => catalog.unavailableReason(c.id) === undefined).map((c) => c.id).sort()
  t.same(runnable, ['legacy_mix', 'sketch', 'toy_image'])
  t.equal(catalog.outputChunk(catalog.configs.get('toy_image')!)?.name, 'out_toy_image', 'parameters.OUTPUT_CHUNK names the chunk')
  t.equal(catalog.outputConfig('cloud_router'), undefined, 'an unavailable output is never offered')
  const reasons: Record<string, RegExp> = {
    cloud_router: /cloud provider "openrouter"/,
    cloud_direct: /cloud provider "openai"/,
    local_python: /backend "diffusers", which this server does not have/,
    bad_node: /node 99 is not in the workflow/,
    missing_chunk: /chunk "out_never_written" does not exist/,
    old_style: /chunk "vanished_generation" does not exist/,
    ghostly: /pipeline "two_step_media": chunk "vanished_generation" does not exist/
  }
  for (const [id, reason] of Object.entries(reasons)) t.match(catalog.unavailableReason(id), reason, id)
  t.equal(catalog.systemConfig('pre_interception')?.id, 'pre_interception/gate')
})

t.test('each broken file is reported by name and field, and the rest still loads', async (t) => {
  const catalog = await loadCatalog(dir)
  const invalid = catalog.problems.filter((p) => p.kind === 'invalid')
  t.same(invalid.map((p) => `${p.file} ${p.field}`).sort(), [
    'configs/interception/teachers_typo.json (file)',
    'configs/interception/wrong_shape.json /name'
  ])
  t.match(invalid.find((p) => p.file.endsWith('teachers_typo.json'))?.message, /not valid JSON/)
  const pipelineProblem = catalog.problems.find((p) => p.file === 'pipelines/two_step_media.json')
  t.match(pipelineProblem, { field: '/chunks/1', message: 'unknown chunk "vanished_generation"', kind: 'unavailable' })
  t.match(catalog.counts(), { interception: 2, outputs: 3, invalid_files: 2 })
})

t.test('strict mode refuses the same catalog, naming every problem', async (t) => {
  const err = await loadCatalog(dir, { strict: true }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CatalogError)
  t.match((err as Error).message, /INVALID +configs\/interception\/teachers_typo\.json: \(file\): not valid JSON/)
  t.match((err as Error).message, /UNAVAILABLE configs\/output\/cloud_router\.json: \/parameters\/OUTPUT_CHUNK: /)
})

t.test('npm run catalog:check prints the report and exits non-zero; zero on a clean catalog', async (t) => {
  const run = promisify(execFile)
  const script = new URL('../../scripts/catalog-check.ts', import.meta.url).pathname
  const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname
  const bad = await run(tsx, [script, dir]).then(() => undefined, (e: { code: number, stdout: string }) => e)
  t.equal(bad?.code, 1)
  t.match(bad?.stdout, /teachers_typo\.json: \(file\): not valid JSON/)
  t.match(bad?.stdout, /2 interception configs and 3 outputs can run/)
  const good = await run(tsx, [script, new URL('../../catalog/', import.meta.url).pathname])
  t.match(good.stdout, /no problems/)
})

t.test('the server starts on it and serves the valid rest; strict mode does not start', async (t) => {
  const server = await startServer({ CATALOG_DIR: dir })
  t.teardown(server.close)
  const info = await (await fetch(`${server.url}/api/schema/info`)).json() as { schemas: string[] }
  t.same(info.schemas.sort(), ['doodle', 'picture_in'])
  const strictApp = Fastify({ logger: false })
  strictApp.register(app, { env: { ...TEST_ENV, OLLAMA_URL: server.sim.url, COMFYUI_URL: server.comfy.url, RUNS_DIR: server.runsDir, CATALOG_DIR: dir, CATALOG_STRICT: 'true' } })
  const strict = await strictApp.ready().then(() => undefined, (e: unknown) => e)
  await strictApp.close().catch(() => {})
  t.ok(strict instanceof CatalogError, 'CATALOG_STRICT=true refuses to start')
})

t.test('a model alias this server does not define falls back to the stage model', async (t) => {
  const models = { STAGE1_MODEL: 'a', STAGE2_INTERCEPTION_MODEL: 'b', STAGE3_MODEL: 'c' }
  t.equal(resolveModel(models, 'SOME_ALIAS_THIS_SERVER_LACKS', 'STAGE2_INTERCEPTION_MODEL'), 'b')
  t.equal(resolveModel(models, 'STAGE3_MODEL', 'STAGE1_MODEL'), 'c')
  t.equal(resolveModel(models, 'gpt-OSS:20b', 'STAGE1_MODEL'), 'gpt-OSS:20b')
})
