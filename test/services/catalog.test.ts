import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { CatalogError, configId, loadCatalog } from '../../services/catalog/loader.js'
import { fillTemplate } from '../../services/catalog/placeholders.js'

const shipped = new URL('../../catalog/', import.meta.url).pathname
const workshop = new URL('../fixtures/workshop-catalog/', import.meta.url).pathname

t.test('the shipped catalog loads: ≥12 interception configs with de and en names', async (t) => {
  const catalog = await loadCatalog(shipped)
  const ids = catalog.interceptionConfigs().map((c) => c.id)
  t.ok(ids.length >= 12, `${ids.length} interception configs`)
  for (const id of ['overdrive', 'user_defined', 'bauhaus', 'telephone', 'p5js_sketcher']) t.ok(ids.includes(id), id)
  for (const c of catalog.interceptionConfigs()) {
    const name = c.name as { en?: string, de?: string }
    t.ok(name.en !== undefined && name.de !== undefined, `${c.id} has en and de names`)
    // Picture work (image_transformation) skips Stage 2: the student's text is the instruction.
    if (catalog.pipelines.get(c.pipeline)?.skip_stage2 === true) t.ok(c.media_preferences?.output_configs?.length, `${c.id} names its outputs`)
    else t.ok(catalog.firstChunk(c)?.template, `${c.id} has a prompt template`)
  }
  t.equal(catalog.contextOf(catalog.configs.get('user_defined')!, 'de'), '', 'user_defined has an empty context')
  t.ok(catalog.systemConfig('pre_interception'), 'the Stage 1 system config')
})

t.test('a workshop catalog in the existing format loads unchanged, with its variants', async (t) => {
  const catalog = await loadCatalog(workshop)
  t.same([...catalog.configs.keys()].sort(), ['dada', 'legacy_top_level', 'plain_strings', 'pre_output/translation_en', 'u_anna_mine'])
  t.same(catalog.interceptionConfigs().map((c) => c.id).sort(), ['dada', 'legacy_top_level', 'plain_strings', 'u_anna_mine'])
  t.equal(catalog.contextOf(catalog.configs.get('plain_strings')!, 'de'), 'Just a string context.')
  t.same(catalog.describe(catalog.configs.get('u_anna_mine')!).display_name, { en: 'Annas Regeln', de: 'Annas Regeln' }, 'a missing language falls back')
  t.equal(catalog.chunks.get('output_image_demo')?.meta?.optimization_instruction, 'Optimize for CLIP.')
  t.notOk(catalog.pipelines.has('old'), '.json.deprecated is skipped')
})

t.test('id rules', async (t) => {
  t.equal(configId('interception/bauhaus.json'), 'bauhaus')
  t.equal(configId('output/sd35_large.json'), 'sd35_large')
  t.equal(configId('user_configs/anna/mine.json'), 'u_anna_mine')
  t.equal(configId('pre_output/translation_en.json'), 'pre_output/translation_en')
})

async function brokenCopy (t: Test, file: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(shipped, dir, { recursive: true })
  await writeFile(join(dir, file), content)
  return dir
}

t.test('in strict mode a malformed file is refused, naming the file and the field', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['configs/interception/bad.json', '{"pipeline": 42, "name": "x"}', /configs\/interception\/bad\.json: \/pipeline: /],
    ['configs/interception/bad.json', '{"pipeline": "text_transformation"}', /configs\/interception\/bad\.json: \/name: /],
    ['configs/interception/bad.json', '{"pipeline": "nope", "name": "x"}', /configs\/interception\/bad\.json: \/pipeline: unknown pipeline "nope"/],
    ['configs/interception/bad.json', '{"pipeline": "text_transformation", "name": "x", "meta": {"stage": "sideways"}}', /bad\.json: \/meta\/stage: /],
    ['configs/interception/bad.json', '{ not json', /bad\.json: \(file\): not valid JSON/],
    ['chunks/bad.json', '{"name": "bad", "template": "{{INPUT_TEXT}} {{TYPO}}"}', /chunks\/bad\.json: \/template: unknown placeholder \{\{TYPO\}\}/],
    ['pipelines/bad.json', '{"name": "bad", "chunks": ["ghost"]}', /pipelines\/bad\.json: \/chunks\/0: unknown chunk "ghost"/],
    ['chunks/dup.json', '{"name": "manipulate"}', /\/name: duplicate chunk "manipulate", also defined in chunks\/(dup|manipulate)\.json/]
  ]
  for (const [file, content, message] of cases) {
    const dir = await brokenCopy(t, file, content)
    const err = await loadCatalog(dir, { strict: true }).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof CatalogError, `${file} is refused`)
    t.match((err as Error).message, message, content)
  }
})

t.test('templates are filled in one pass', async (t) => {
  t.equal(fillTemplate('A {{INPUT_TEXT}} B {{CONTEXT}}', { INPUT_TEXT: '{{CONTEXT}}', CONTEXT: 'c' }), 'A {{CONTEXT}} B c')
})

t.test('a ComfyUI mapping into a node the workflow lacks is a load error in strict mode', async (t) => {
  const dir = await brokenCopy(t, 'chunks/bad_output.json', JSON.stringify({ name: 'bad_output', type: 'output_chunk', backend_type: 'comfyui', workflow: { 1: { class_type: 'SaveImage', inputs: {} } }, input_mappings: { prompt: { node_id: '7', field: 'inputs.text' } } }))
  const err = await loadCatalog(dir, { strict: true }).then(() => undefined, (e: unknown) => e as Error)
  t.match(err?.message, /chunks\/bad_output\.json: \/input_mappings\/prompt\/node_id: node 7 is not in the workflow/)
})
