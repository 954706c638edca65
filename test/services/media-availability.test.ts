import t from 'tap'
import { ComfyUiClient } from '../../services/media/comfyui.js'
import { workflowAvailability, type ObjectInfo } from '../../services/media/availability.js'
import { ComfyUiSimulator } from '../../simulators/comfyui-simulator.js'

const workflow = {
  4: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd3.5_large.safetensors' } },
  7: { class_type: 'TripleCLIPLoader', inputs: { clip_name1: 'clip_l.safetensors', clip_name2: 'clip_g.safetensors', clip_name3: 't5xxl_fp16.safetensors' } },
  '5:1': { class_type: 'LoraLoaderModelOnly', inputs: { lora_name: 'Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors', strength_model: 1, model: ['4', 0] } },
  8: { class_type: 'KSampler', inputs: { seed: 1, sampler_name: 'euler', model: ['5:1', 0] } },
  load: { class_type: 'LoadImage', inputs: { image: 'not-uploaded-yet.png' } },
  9: { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } }
}

t.test('availability from the simulated /object_info: all present, a model file missing, a node class missing', async (t) => {
  const sim = new ComfyUiSimulator()
  const client = new ComfyUiClient({ baseUrl: await sim.listen(), timeoutMs: 5000 })
  t.teardown(async () => { await client.close(); await sim.close() })
  const info = await client.objectInfo()
  t.ok(info !== undefined, 'object_info read')
  t.same(workflowAvailability(workflow, info as ObjectInfo), { ok: true }, 'everything there (the LoadImage name is not a model file)')

  sim.set({ missingModels: ['t5xxl_fp16.safetensors'] })
  const fresh = new ComfyUiClient({ baseUrl: sim.url, timeoutMs: 5000 })
  t.teardown(() => fresh.close())
  const noModel = workflowAvailability(workflow, await fresh.objectInfo() as ObjectInfo)
  t.same(noModel, { ok: false, reason: 'ComfyUI lacks model file t5xxl_fp16.safetensors (TripleCLIPLoader.clip_name3)' })

  sim.set({ missingModels: [], missingNodes: ['LoraLoaderModelOnly'] })
  const again = new ComfyUiClient({ baseUrl: sim.url, timeoutMs: 5000 })
  t.teardown(() => again.close())
  t.same(workflowAvailability(workflow, await again.objectInfo() as ObjectInfo), { ok: false, reason: 'ComfyUI lacks node type LoraLoaderModelOnly' })

  const [x, y] = await Promise.all([client.objectInfo(), client.objectInfo()])
  t.ok(x === y, 'callers at the same time share one read (the availability report keeps it for a while)')
})

t.test('object_info never throws: undefined when ComfyUI is down', async (t) => {
  const gone = new ComfyUiSimulator()
  const url = await gone.listen()
  await gone.close()
  const client = new ComfyUiClient({ baseUrl: url, timeoutMs: 5000 })
  t.teardown(() => client.close())
  t.equal(await client.objectInfo(), undefined)
})

t.test('both shapes of a choice: the list itself, and the newer COMBO with options', async (t) => {
  const info: ObjectInfo = {
    UNETLoader: { input: { required: { unet_name: [['a.safetensors'], {}], weight_dtype: [['default', 'fp8_e4m3fn'], {}] } } },
    CLIPLoader: { input: { required: { clip_name: ['COMBO', { options: ['c.safetensors'] }], type: ['COMBO', { options: ['sd3'] }] } } },
    VAELoader: { input: { optional: { vae_name: [['v.safetensors'], {}] } } },
    CLIPTextEncode: { input: { required: { text: ['STRING', { multiline: true }], clip: ['CLIP'] } } }
  }
  const wf = (unet: string, clip: string, vae: string): Record<string, unknown> => ({
    1: { class_type: 'UNETLoader', inputs: { unet_name: unet, weight_dtype: 'default' } },
    2: { class_type: 'CLIPLoader', inputs: { clip_name: clip, type: 'sd3' } },
    3: { class_type: 'VAELoader', inputs: { vae_name: vae } },
    4: { class_type: 'CLIPTextEncode', inputs: { text: 'looks like a file.safetensors', clip: ['2', 0] } }
  })
  t.same(workflowAvailability(wf('a.safetensors', 'c.safetensors', 'v.safetensors'), info), { ok: true })
  t.same(workflowAvailability(wf('b.safetensors', 'd.safetensors', 'v.safetensors'), info), { ok: false, reason: 'ComfyUI lacks model files b.safetensors (UNETLoader.unet_name), d.safetensors (CLIPLoader.clip_name)' })
  t.same(workflowAvailability(wf('a.safetensors', 'c.safetensors', 'w.safetensors'), info), { ok: false, reason: 'ComfyUI lacks model file w.safetensors (VAELoader.vae_name)' })
  t.same(workflowAvailability({ 1: { class_type: 'ai4artsed_t5_clip_fusion', inputs: {} }, 2: { class_type: 'Nope', inputs: {} } }, info), { ok: false, reason: 'ComfyUI lacks node types ai4artsed_t5_clip_fusion, Nope' })
})

t.test("a workflow run anyway with a missing file is refused by ComfyUI's validation, its words kept", async (t) => {
  const sim = new ComfyUiSimulator({ missingModels: ['sd3.5_large.safetensors'] })
  const client = new ComfyUiClient({ baseUrl: await sim.listen(), timeoutMs: 5000 })
  t.teardown(async () => { await client.close(); await sim.close() })
  const { load: _load, ...runnable } = workflow
  await t.rejects(client.run(runnable, new AbortController().signal), { code: 'UPSTREAM_ERROR', message: /400 on \/prompt.*ckpt_name: 'sd3\.5_large\.safetensors' not in list/ })
  sim.set({ missingModels: [] })
  await t.rejects(client.run({ ...runnable, 9: { class_type: 'ai4artsed_t5_clip_fusion', inputs: {} } }, new AbortController().signal), { message: /node ai4artsed_t5_clip_fusion does not exist/ })
})
