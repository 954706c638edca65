import t from 'tap'
import { startServer } from '../helper.js'

// A whole run on thinking models (Stage 1 and 3 are qwen3 in the test settings), as a real Ollama
// runs them: the reasoning alone is longer than Stage 1's budget (max_tokens 300).
const REASONING = 'Let me think. '.repeat(150)

for (const thinking of ['field', 'tags'] as const) {
  t.test(`thinking models as Ollama ${thinking === 'field' ? '0.12.4+' : '0.9-0.12.3'} runs them: a kids run passes all stages, no reasoning anywhere`, async (t) => {
    const s = await startServer({}, { thinking, numPredict: true, tokenDelayMs: 0, thinkingText: () => REASONING })
    t.teardown(s.close)
    const res = await fetch(`${s.url}/api/schema/pipeline/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: 'overdrive', input_text: 'ein Haus aus Zuckerwatte', safety_level: 'kids' })
    })
    const body = await res.json() as Record<string, any>
    t.equal(res.status, 200, JSON.stringify(body).slice(0, 300))
    t.match(body, { status: 'success', steps_completed: ['stage1', 'stage2', 'optimization', 'stage3', 'stage4'] })
    t.notMatch(JSON.stringify(body), /Let me think|<think>/, 'no reasoning in the answer')
    const workflow = s.comfy.submitted[0] as Record<string, { inputs: Record<string, unknown> }>
    t.match(workflow['3']?.inputs.text, /Zuckerwatte/)
    t.notMatch(workflow['3']?.inputs.text, /Let me think|think>/, 'no reasoning in the prompt ComfyUI got')
  })
}
