import t from 'tap'
import { mapWorkflow, type WorkflowChunk } from '../../services/media/workflow.js'

type Graph = Record<string, { class_type: string, inputs: Record<string, unknown> }>
const graph = (): Record<string, unknown> => ({
  10: { class_type: 'PrimitiveString', inputs: { value: '' } },
  11: { class_type: 'PrimitiveString', inputs: { value: 'old negative' } },
  '115:111': { class_type: 'TextEncodeQwenImageEditPlus', inputs: { prompt: '' } },
  14: { class_type: 'TextEncodeAceStepAudio', inputs: { tags: '{{PROMPT}}', lyrics: 'Verse: {{LYRICS}}', lyrics_strength: 0.99 } },
  17: { class_type: 'EmptyAceStepLatentAudio', inputs: { seconds: '{{DURATION}}' } },
  3: { class_type: 'KSampler', inputs: { seed: 0, steps: 20 } },
  5: { class_type: 'KSampler', inputs: { seed: 0 } }
})

t.test('object mappings: value, default, and nothing given keeps the workflow value', async (t) => {
  const chunk: WorkflowChunk = {
    name: 'obj',
    workflow: graph(),
    input_mappings: {
      prompt: { node_id: '115:111', field: 'inputs.prompt' },
      negative_prompt: { node_id: 11, field: 'inputs.value', default: 'blurry' },
      steps: { node_id: '3', field: 'inputs.steps' },
      seed: [{ node_id: '3', field: 'inputs.seed' }, { node_id: '5', field: 'inputs.seed' }]
    }
  }
  const wf = mapWorkflow(chunk, { prompt: 'a cat', seed: 42 }) as Graph
  t.equal(wf['115:111']?.inputs.prompt, 'a cat', 'node ids with a colon')
  t.equal(wf['11']?.inputs.value, 'blurry', 'the default')
  t.equal(wf['3']?.inputs.steps, 20, 'no value, no default: the workflow keeps its own')
  t.same([wf['3']?.inputs.seed, wf['5']?.inputs.seed], [42, 42], 'a list maps one value to several nodes')
  t.equal((chunk.workflow as Graph)['115:111']?.inputs.prompt, '', 'the chunk itself is not changed')
})

t.test('legacy string mappings: "<node>.<field>" and placeholders', async (t) => {
  const chunk: WorkflowChunk = {
    name: 'legacy',
    workflow: graph(),
    input_mappings: {
      prompt: '10.inputs.value',
      negative_prompt: '11.value',
      tags: '{{PROMPT}}',
      lyrics: 'lyrics',
      seconds: { template: '{{DURATION}}', default: 30 }
    }
  }
  const wf = mapWorkflow(chunk, { prompt: 'a cat', negative_prompt: 'dark', tags: 'jazz, piano', lyrics: 'la la' }) as Graph
  t.equal(wf['10']?.inputs.value, 'a cat', '"10.inputs.value" names node and field')
  t.equal(wf['11']?.inputs.value, 'dark', '"11.value" is read as inputs.value')
  t.equal(wf['14']?.inputs.tags, 'jazz, piano', '"{{PROMPT}}" replaces that placeholder')
  t.equal(wf['14']?.inputs.lyrics, 'Verse: la la', 'a bare word is the placeholder {{KEY}}, also inside a longer string')
  t.equal(wf['17']?.inputs.seconds, 30, 'a whole-string placeholder keeps the type of the value')
})

t.test('a mapping naming a node the workflow lacks is a catalog error', async (t) => {
  t.throws(() => mapWorkflow({ name: 'bad', workflow: graph(), input_mappings: { prompt: { node_id: '99', field: 'inputs.text' } } }, { prompt: 'x' }), { code: 'CATALOG_INVALID', message: /node 99/ })
  t.throws(() => mapWorkflow({ name: 'none', input_mappings: {} }, {}), { code: 'CATALOG_INVALID' })
})

t.test('a field path cannot reach the prototype', async (t) => {
  const wf = mapWorkflow({ name: 'proto', workflow: graph(), input_mappings: { x: { node_id: '10', field: '__proto__.polluted' } } }, { x: 1 })
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.ok(wf)
})
