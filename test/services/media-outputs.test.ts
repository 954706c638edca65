import t from 'tap'
import sharp from 'sharp'
import { ComfyUiClient } from '../../services/media/comfyui.js'
import { ComfyUiBackend } from '../../services/media/backends.js'
import { describeOutput, outputFiles, safeExt } from '../../services/media/outputs.js'
import { ComfyUiSimulator } from '../../simulators/comfyui-simulator.js'
import type { Chunk } from '../../services/catalog/schemas.js'

const chunk = (workflow: Record<string, unknown>): Chunk => ({ name: 'test_outputs', media_type: 'image', workflow, input_mappings: { prompt: { node_id: '10', field: 'inputs.value' }, seed: { node_id: '3', field: 'inputs.seed' } } })
const base = {
  3: { class_type: 'KSampler', inputs: { seed: 0 } },
  10: { class_type: 'PrimitiveString', inputs: { value: '' } }
}

t.test('every save node gives a valid file with its own medium, extension and content type; previews are skipped', async (t) => {
  const sim = new ComfyUiSimulator({ renderMs: 10 })
  const client = new ComfyUiClient({ baseUrl: await sim.listen(), timeoutMs: 10_000, pollMs: 20 })
  t.teardown(async () => { await client.close(); await sim.close() })
  const backend = new ComfyUiBackend(client)
  const workflow = {
    ...base,
    20: { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI' } },
    21: { class_type: 'SaveAnimatedWEBP', inputs: { filename_prefix: 'ComfyUI' } },
    22: { class_type: 'SaveVideo', inputs: { filename_prefix: 'video/ComfyUI', format: 'auto', codec: 'auto' } },
    23: { class_type: 'SaveWEBM', inputs: { filename_prefix: 'ComfyUI' } },
    24: { class_type: 'VHS_VideoCombine', inputs: { filename_prefix: 'AnimateDiff' } },
    25: { class_type: 'SaveAudio', inputs: { filename_prefix: 'audio/ComfyUI' } },
    26: { class_type: 'SaveAudioMP3', inputs: { filename_prefix: 'audio/ComfyUI' } },
    27: { class_type: 'PreviewImage', inputs: {} }
  }
  const result = await backend.generate({ chunk: chunk(workflow), prompt: 'a red fox', negativePrompt: undefined, seed: 3, signal: new AbortController().signal })
  t.same(result.files.map((f) => [f.mediaType, f.ext, f.contentType]), [
    ['image', 'png', 'image/png'],
    ['image', 'webp', 'image/webp'],
    ['video', 'mp4', 'video/mp4'],
    ['video', 'webm', 'video/webm'],
    ['video', 'mp4', 'video/mp4'],
    ['audio', 'flac', 'audio/flac'],
    ['audio', 'mp3', 'audio/mpeg']
  ], 'all seven outputs, the preview left out')
  const [png, webp, mp4, webm, vhs, flac, mp3] = result.files.map((f) => f.data)
  t.equal(png?.subarray(1, 4).toString('latin1'), 'PNG')
  t.equal(webp?.subarray(8, 12).toString('latin1'), 'WEBP')
  t.equal((await sharp(webp as Buffer, { animated: true }).metadata()).pages, 2, 'an animated WebP')
  t.equal(mp4?.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4')
  t.equal(vhs?.subarray(4, 8).toString('latin1'), 'ftyp')
  t.same([...(webm?.subarray(0, 4) ?? [])], [0x1a, 0x45, 0xdf, 0xa3], 'a WebM (EBML)')
  t.equal(flac?.subarray(0, 4).toString('latin1'), 'fLaC')
  t.ok(mp3?.subarray(0, 3).toString('latin1') === 'ID3' || (mp3?.[0] === 0xff && ((mp3[1] ?? 0) & 0xe0) === 0xe0), 'an MP3')
  t.equal(result.metadata.prompt_id, sim.promptIds[0])
})

t.test('history keys as real ComfyUI writes them', async (t) => {
  const files = outputFiles({
    outputs: {
      9: { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] },
      12: { images: [{ filename: 'p.png', subfolder: '', type: 'temp' }] },
      58: { images: [{ filename: 'ComfyUI_00001_.mp4', subfolder: 'video', type: 'output' }], animated: [true] },
      60: { gifs: [{ filename: 'v.webm', subfolder: '', type: 'output', format: 'video/webm' }] },
      61: { audio: [{ filename: 'x.mp3', subfolder: 'audio', type: 'output' }] },
      62: { videos: [{ filename: 'y.mov', subfolder: '', type: 'output' }] },
      63: { text: ['not a file'] }
    }
  })
  t.same(files.map((f) => [f.nodeId, f.key, f.filename, f.animated]), [
    ['9', 'images', 'a.png', false],
    ['58', 'images', 'ComfyUI_00001_.mp4', true],
    ['60', 'gifs', 'v.webm', false],
    ['61', 'audio', 'x.mp3', false],
    ['62', 'videos', 'y.mov', false]
  ])
  t.same(files.map((f) => describeOutput(f.filename, f.key).mediaType), ['image', 'video', 'video', 'audio', 'video'])
})

t.test('an extension from ComfyUI is checked, never a path fragment (issue 8 item 5)', async (t) => {
  const cases: Array<[string, string]> = [
    ['ComfyUI_00001_.PNG', 'png'],
    ['clip.mp4', 'mp4'],
    ['song.m4a', 'm4a'],
    ['noext', 'bin'],
    ['evil.png/../../x', 'bin'],
    ['a.b/c', 'bin'],
    ['x.exe', 'bin'],
    ['x.toolong', 'bin'],
    ['x.', 'bin'],
    ['x.mp4 ', 'bin'],
    ['x.__proto__', 'bin']
  ]
  for (const [name, ext] of cases) t.equal(safeExt(name), ext, name)
  t.same(describeOutput('weird.xyz', 'audio'), { ext: 'bin', mediaType: 'audio', contentType: 'application/octet-stream' }, 'unknown: bin, medium from the key')
})
