import t, { type Test } from 'tap'
import { ComfyUiClient } from '../../services/media/comfyui.js'
import { ComfyUiBackend, type MediaChunk, type MediaRequest } from '../../services/media/backends.js'
import { ComfyUiSimulator } from '../../simulators/comfyui-simulator.js'
import { placeholderPng } from '../../simulators/png.js'

type Graph = Record<string, { class_type: string, inputs: Record<string, unknown> }>

/** Image-to-image: one LoadImage, as the workshop's img2img chunks have it (string node ids too). */
const img2img: MediaChunk = {
  name: 'test_img2img',
  media_type: 'image',
  workflow: {
    load_image: { class_type: 'LoadImage', inputs: { image: 'placeholder.png' } },
    scale: { class_type: 'ImageScaleToTotalPixels', inputs: { image: ['load_image', 0], upscale_method: 'lanczos', megapixels: 1 } },
    encode: { class_type: 'VAEEncode', inputs: { pixels: ['scale', 0], vae: ['vae', 0] } },
    vae: { class_type: 'VAELoader', inputs: { vae_name: 'qwen_image_vae.safetensors' } },
    sampler: { class_type: 'KSampler', inputs: { seed: 0, latent_image: ['encode', 0] } },
    text: { class_type: 'PrimitiveString', inputs: { value: '' } },
    save: { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['sampler', 0] } }
  },
  input_mappings: {
    input_image: { node_id: 'load_image', field: 'inputs.image', source: '{{INPUT_IMAGE}}' },
    prompt: { node_id: 'text', field: 'inputs.value' },
    seed: { node_id: 'sampler', field: 'inputs.seed' },
    denoise: { node_id: 'sampler', field: 'inputs.denoise', default: 0.75 }
  }
}

/** Multi-image: three LoadImage nodes, the 2nd and 3rd optional, each scaled, all into one encoder. */
const multi: MediaChunk = {
  name: 'test_multi',
  media_type: 'image',
  workflow: {
    60: { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['7:8', 0] } },
    78: { class_type: 'LoadImage', inputs: { image: '' } },
    120: { class_type: 'LoadImage', inputs: { image: '' } },
    121: { class_type: 'LoadImage', inputs: { image: '' } },
    '7:93': { class_type: 'ImageScaleToTotalPixels', inputs: { image: ['78', 0], megapixels: 1 } },
    122: { class_type: 'ImageScaleToTotalPixels', inputs: { image: ['120', 0], megapixels: 1 } },
    123: { class_type: 'ImageScaleToTotalPixels', inputs: { image: ['121', 0], megapixels: 1 } },
    '7:111': { class_type: 'TextEncodeQwenImageEditPlus', inputs: { prompt: '', image1: ['7:93', 0], image2: ['122', 0], image3: ['123', 0] } },
    '7:3': { class_type: 'KSampler', inputs: { seed: 0, positive: ['7:111', 0] } },
    '7:8': { class_type: 'VAEDecode', inputs: { samples: ['7:3', 0] } }
  },
  input_mappings: {
    input_image1: { node_id: '78', field: 'inputs.image', required: true },
    input_image2: { node_id: '120', field: 'inputs.image', required: false },
    input_image3: { node_id: '121', field: 'inputs.image', required: false },
    prompt: { node_id: '7:111', field: 'inputs.prompt' },
    seed: { node_id: '7:3', field: 'inputs.seed' }
  }
}

async function setup (t: Test): Promise<{ sim: ComfyUiSimulator, backend: ComfyUiBackend }> {
  const sim = new ComfyUiSimulator({ renderMs: 10 })
  const client = new ComfyUiClient({ baseUrl: await sim.listen(), timeoutMs: 10_000, pollMs: 20 })
  t.teardown(async () => { await client.close(); await sim.close() })
  return { sim, backend: new ComfyUiBackend(client) }
}

const picture = (n: number): { data: Buffer, filename: string } => ({ data: placeholderPng(16, 16, n, 'upload'), filename: `upload-${n}.png` })
const request = (chunk: MediaChunk, images: MediaRequest['images']): MediaRequest => ({ chunk, prompt: 'make it blue', negativePrompt: undefined, seed: 5, signal: new AbortController().signal, images, values: { denoise: 0.6 } })

t.test('image-to-image: the picture is uploaded to ComfyUI and its name goes into the LoadImage node', async (t) => {
  const { sim, backend } = await setup(t)
  const pic = picture(1)
  const result = await backend.generate(request(img2img, [pic]))
  const [name] = result.metadata.input_images as string[]
  t.match(name, /^artsed_[0-9a-f-]{36}\.png$/, 'uploaded under a name of its own')
  t.same(sim.uploads.get(name as string), pic.data, 'ComfyUI holds the uploaded bytes')
  const wf = sim.submitted[0] as Graph
  t.equal(wf.load_image?.inputs.image, name, 'the LoadImage node names the upload')
  t.equal(wf.text?.inputs.value, 'make it blue')
  t.equal(wf.sampler?.inputs.seed, 5)
  t.equal(wf.sampler?.inputs.denoise, 0.6, 'an extra value from the request wins over the default')
  t.equal(result.files[0]?.mediaType, 'image')
  await t.rejects(backend.generate(request(img2img, [])), { code: 'BAD_REQUEST', message: /needs a picture \(input_image\)/ }, 'no picture: a clear error')
  t.equal(sim.submitted.length, 1, 'and nothing was submitted')
})

t.test('multi-image: each picture into its own LoadImage; unused optional ones are removed with what only they feed', async (t) => {
  const { sim, backend } = await setup(t)
  const pics = [picture(1), picture(2), picture(3)]
  await backend.generate(request(multi, pics))
  const all = sim.submitted[0] as Graph
  t.same(['78', '120', '121'].map((id) => sim.uploads.get(String(all[id]?.inputs.image))), pics.map((p) => p.data), 'each node names its own picture, in order')

  await backend.generate(request(multi, [picture(4), picture(5)]))
  const two = sim.submitted[1] as Graph
  t.same(sim.uploads.get(String(two['120']?.inputs.image)), picture(5).data)
  t.notOk('121' in two, 'the third LoadImage is gone')
  t.notOk('123' in two, 'and the scaler that only it fed')
  t.same(two['7:111']?.inputs, { prompt: 'make it blue', image1: ['7:93', 0], image2: ['122', 0] }, 'the encoder keeps its other inputs')

  await backend.generate(request(multi, [picture(6)]))
  const one = sim.submitted[2] as Graph
  t.same(Object.keys(one).sort(), ['60', '78', '7:111', '7:3', '7:8', '7:93'])
  t.same(one['7:111']?.inputs, { prompt: 'make it blue', image1: ['7:93', 0] })

  await t.rejects(backend.generate(request(multi, [])), { code: 'BAD_REQUEST', message: /input_image1/ }, 'the required first picture')
  t.equal(sim.submitted.length, 3)
})

t.test('an upload ComfyUI refuses is an upstream error, and nothing is submitted', async (t) => {
  const { sim, backend } = await setup(t)
  await t.rejects(backend.generate(request(img2img, [{ data: Buffer.from('x'), filename: '' }])), { code: 'UPSTREAM_ERROR', message: /upload/ })
  t.equal(sim.submitted.length, 0)
})

t.test('pictures sent to a text-to-image output are not uploaded', async (t) => {
  const { sim, backend } = await setup(t)
  const { input_image: _drop, ...mappings } = img2img.input_mappings as Record<string, unknown>
  const textOnly = { ...img2img, name: 'text_only', workflow: { ...img2img.workflow, load_image: { class_type: 'LoadImage', inputs: { image: 'upload-0.png' } } }, input_mappings: mappings } as MediaChunk
  await t.rejects(backend.generate(request(textOnly, [picture(1)])), { code: 'UPSTREAM_ERROR', message: /not in list/ }, 'the workflow\'s own LoadImage name is kept (and here unknown to ComfyUI)')
  t.equal(sim.uploads.size, 0, 'nothing uploaded')
})
