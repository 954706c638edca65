import t, { type Test } from 'tap'
import sharp from 'sharp'
import { ADMIN, startServer, type TestServer } from '../helper.js'

async function post (s: TestServer, path: string, body: unknown): Promise<{ status: number, body: Record<string, any> }> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

async function upload (s: TestServer, color: string): Promise<Record<string, any>> {
  const png = await sharp({ create: { width: 48, height: 32, channels: 3, background: color } }).png().toBuffer()
  const form = new FormData()
  form.append('file', new Blob([png], { type: 'image/png' }), 'mein-bild.png')
  const res = await fetch(`${s.url}/api/media/upload/image`, { method: 'POST', body: form })
  return await res.json() as Record<string, any>
}

/** Stored, listed among the run's entities, served with its content type at the URL the answer gave. */
async function checkServed (t: Test, s: TestServer, media: Record<string, any>, entity: string, contentType: RegExp, magic: (b: Buffer) => boolean): Promise<Buffer> {
  const entities = await (await fetch(`${s.url}/api/pipeline/${media.run_id as string}/entities`)).json() as { entities: Array<{ type: string }> }
  t.ok(entities.entities.some((e) => e.type === entity), `${entity} is listed`)
  const res = await fetch(`${s.url}${media.output as string}`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), contentType)
  t.equal(res.headers.get('x-content-type-options'), 'nosniff')
  const bytes = Buffer.from(await res.arrayBuffer())
  t.ok(magic(bytes), 'the file is of its kind')
  return bytes
}

const isPng = (b: Buffer): boolean => b.subarray(1, 4).toString() === 'PNG'
const isMp4 = (b: Buffer): boolean => b.subarray(4, 8).toString() === 'ftyp'
const isMp3 = (b: Buffer): boolean => b.subarray(0, 3).toString() === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)
const isFlac = (b: Buffer): boolean => b.subarray(0, 4).toString() === 'fLaC'

t.test('a JSON run per medium against the simulators: stored, listed, served', async (t) => {
  const s = await startServer({}, {}, { renderMs: 20 })
  t.teardown(s.close)
  const run = async (body: Record<string, unknown>): Promise<Record<string, any>> => {
    const r = await post(s, '/api/schema/pipeline/execute', { safety_level: 'adult', seed: 7, ...body })
    t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300))
    t.equal(r.body.media_output?.status, 'success', JSON.stringify(r.body.media_output).slice(0, 300))
    return r.body.media_output
  }

  await t.test('image', async (t) => {
    const m = await run({ schema: 'bauhaus', input_text: 'ein Haus am See', output_config: 'sd35_large' })
    t.equal(m.media_type, 'image')
    await checkServed(t, s, m, 'output_image', /^image\/png/, isPng)
  })

  await t.test('image-to-image from an uploaded picture (its image_path sent back as input_image)', async (t) => {
    const up = await upload(s, '#3366cc')
    t.equal(up.image_path, up.image_id, 'image_path is an opaque token, never a server path')
    const m = await run({ schema: 'image_transformation', input_text: 'mach daraus ein Aquarell', output_config: 'qwen_img2img', input_image: up.image_path })
    t.equal(m.media_type, 'image')
    await checkServed(t, s, m, 'output_image', /^image\/png/, isPng)
    const graph = s.comfy.submitted.at(-1) as Record<string, { class_type: string, inputs: Record<string, unknown> }>
    const load = Object.values(graph).find((n) => n.class_type === 'LoadImage')
    t.match(load?.inputs.image, /^artsed_[0-9a-f-]+\.png$/, 'the upload reached ComfyUI and the LoadImage node')
  })

  await t.test('multi-image from three uploads', async (t) => {
    const ups = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map(async (c) => await upload(s, c)))
    const m = await run({ schema: 'multi_image_transformation', input_text: 'alle drei in einem Bild', output_config: 'qwen_2511_multi', input_images: ups.map((u) => u.image_id) })
    await checkServed(t, s, m, 'output_image', /^image\/png/, isPng)
    const graph = s.comfy.submitted.at(-1) as Record<string, { class_type: string }>
    t.equal(Object.values(graph).filter((n) => n.class_type === 'LoadImage').length, 3)
  })

  await t.test('video, and a Range request returns 206 with the right bytes', async (t) => {
    const m = await run({ schema: 'bauhaus', input_text: 'ein fliegender Drache', output_config: 'wan22_video' })
    t.equal(m.media_type, 'video')
    const whole = await checkServed(t, s, m, 'output_video', /^video\/mp4/, isMp4)
    const res = await fetch(`${s.url}${m.output as string}`, { headers: { range: 'bytes=100-199' } })
    t.equal(res.status, 206)
    t.equal(res.headers.get('accept-ranges'), 'bytes')
    t.equal(res.headers.get('content-range'), `bytes 100-199/${whole.length}`)
    t.same(Buffer.from(await res.arrayBuffer()), whole.subarray(100, 200))
    const tail = await fetch(`${s.url}${m.output as string}`, { headers: { range: 'bytes=-10' } })
    t.same(Buffer.from(await tail.arrayBuffer()), whole.subarray(whole.length - 10))
    const beyond = await fetch(`${s.url}${m.output as string}`, { headers: { range: `bytes=${whole.length}-` } })
    t.equal(beyond.status, 416)
    t.equal(beyond.headers.get('content-range'), `bytes */${whole.length}`)
  })

  await t.test('image-to-video from an upload', async (t) => {
    const up = await upload(s, '#cc9933')
    const m = await run({ schema: 'image_transformation', input_text: 'lass es tanzen', output_config: 'wan22_i2v_video', input_image: up.image_id })
    await checkServed(t, s, m, 'output_video', /^video\/mp4/, isMp4)
  })

  await t.test('sound and music', async (t) => {
    const sound = await run({ schema: 'bauhaus', input_text: 'Regen auf einem Blechdach', output_config: 'stableaudio_open' })
    t.equal(sound.media_type, 'audio')
    await checkServed(t, s, sound, 'output_audio', /^audio\/mpeg/, isMp3)
    const music = await run({ schema: 'bauhaus', input_text: 'ein fröhliches Lied', output_config: 'acenet_t2instrumental' })
    await checkServed(t, s, music, 'output_audio', /^audio\/flac/, isFlac)
    const ranged = await fetch(`${s.url}${sound.output as string}`, { headers: { range: 'bytes=0-3' } })
    t.equal(ranged.status, 206, 'audio answers ranges too')
  })

  await t.test('code: the sketch is the output, media_type code, served under /api/media/code', async (t) => {
    const m = await run({ schema: 'p5js_sketcher', input_text: 'ein tanzender Kreis', output_config: 'p5js_code' })
    t.equal(m.media_type, 'code')
    t.match(m.output, /function setup\s*\(/)
    const res = await fetch(`${s.url}/api/media/code/${m.run_id as string}`)
    t.match(res.headers.get('content-type'), /^text\/javascript/)
    t.match(await res.text(), /function draw\s*\(/)
  })

  t.test('an unknown picture is a 400 before any work', async (t) => {
    const r = await post(s, '/api/schema/pipeline/execute', { schema: 'image_transformation', input_text: 'x', output_config: 'qwen_img2img', input_image: '/etc/passwd', safety_level: 'adult' })
    t.equal(r.status, 400)
    t.match(r.body.error, /Unknown picture/)
  })
})

t.test('GET /api/models/availability: ComfyUI up, missing a model, down', async (t) => {
  const s = await startServer({ AVAILABILITY_CACHE_MS: '0' }, {}, { missingModels: ['stable-audio-open-1.0.safetensors'] })
  t.teardown(s.close)
  const ask = async (): Promise<Record<string, any>> => await (await fetch(`${s.url}/api/models/availability`)).json() as Record<string, any>
  const up = await ask()
  t.match(up, { status: 'success', comfyui_reachable: true, cached: false })
  t.match(up.availability, { sd35_large: true, qwen_img2img: true, wan22_video: true, acenet_t2instrumental: true, p5js_code: true, stableaudio_open: false })
  t.notOk('reasons' in up, 'model files and node names are not shown to everyone')
  const ready = await (await fetch(`${s.url}/ready`, { headers: ADMIN })).json() as Record<string, any>
  t.match(JSON.stringify(ready), /stable-audio-open-1\.0\.safetensors/, 'the admin sees why')
  await s.comfy.close()
  const down = await ask()
  t.match(down, { status: 'success', comfyui_reachable: false })
  t.match(down.availability, { sd35_large: false, wan22_video: false, p5js_code: true })
})

t.test('a picture config skips Stage 2 when streamed too: the checked text comes back as it is', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const res = await fetch(`${s.url}/api/schema/pipeline/execute?schema=image_transformation&enable_streaming=true&safety_level=adult&input_text=${encodeURIComponent('mach es blau')}`)
  const text = await res.text()
  t.match(text, /event: complete\ndata: \{[^\n]*"final_text":"mach es blau"/)
  t.equal(s.sim.counters.requests, 1, 'only the safety check asked the model')
})

t.test('an output config says what it makes and how many pictures it takes', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const info = async (id: string): Promise<Record<string, any>> => await (await fetch(`${s.url}/api/config/${id}/pipeline`)).json() as Record<string, any>
  t.match(await info('acenet_t2instrumental'), { media_type: 'audio' })
  t.match(await info('wan22_i2v_video'), { media_type: 'video', input_requirements: { images: 1 } })
  t.match(await info('qwen_2511_multi'), { media_type: 'image', input_requirements: { images: 3 } })
  t.match(await info('p5js_code'), { media_type: 'code' })
  t.notOk('media_type' in await info('bauhaus'), 'an interception config has none')
})

t.test('an output whose model ComfyUI lacks is refused before any model work, with the reason', async (t) => {
  const s = await startServer({ AVAILABILITY_CACHE_MS: '0' }, {}, { missingModels: ['wan2.2_vae.safetensors'] })
  t.teardown(s.close)
  const r = await post(s, '/api/schema/pipeline/execute', { schema: 'bauhaus', input_text: 'ein Drache', output_config: 'wan22_video', safety_level: 'adult' })
  t.equal(r.status, 409)
  t.match(r.body, { code: 'OUTPUT_UNAVAILABLE', error: /cannot be made right now|kann gerade nicht/ })
  t.notMatch(r.body.error, /safetensors/, 'which file is missing is for the admin')
  t.equal(s.sim.counters.requests, 0, 'no model was asked')
  const ok = await post(s, '/api/schema/pipeline/execute', { schema: 'bauhaus', input_text: 'ein Drache', output_config: 'sd35_large', safety_level: 'adult' })
  t.equal(ok.status, 200, 'the other outputs still run')
})

t.test('an image-to-image output without a picture is a 400 before any model is asked', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const r = await post(s, '/api/schema/pipeline/execute', { schema: 'image_transformation', input_text: 'mach es blau', output_config: 'qwen_img2img', safety_level: 'adult' })
  t.equal(r.status, 400)
  t.match(r.body.error, /needs 1 picture/)
  t.equal(s.sim.counters.requests, 0)
  const multi = await post(s, '/api/schema/pipeline/stage3-4', { stage2_result: 'alle zusammen', output_config: 'qwen_2511_multi', safety_level: 'adult' })
  t.equal(multi.status, 400, 'the first of several pictures is required too')
})

t.test("another browser cannot use a child's uploaded picture, even with its id", async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const up = await upload(s, '#aa3366')
  const body = JSON.stringify({ schema: 'image_transformation', input_text: 'mach es blau', output_config: 'qwen_img2img', input_image: up.image_id, safety_level: 'adult' })
  const stranger = await fetch(`${s.url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'artsed_browser=someone-else-entirely-0002' }, body })
  t.equal(stranger.status, 400)
  t.match(await stranger.json(), { error: /Unknown picture/ })
  const owner = await fetch(`${s.url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  t.equal(owner.status, 200, 'the browser that uploaded it can')
})
