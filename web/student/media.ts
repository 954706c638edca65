import { byId, el, json, later, show } from '../dom'
import { t, type Lang } from '../i18n'
import { availableOutputs, type ConfigInfo, type OutputChoice } from './outputs'
import { sketchFrame } from './sketch-frame'

export interface MediaContext {
  config: ConfigInfo
  idea: string
  finalText: string
  runId: string
  lang: Lang
  safetyLevel: string
}

interface MediaOutput { status?: string, output?: string, media_type?: string, reason?: string, error?: string }

/**
 * Step 3: choose a medium the server offers right now, drop in a picture when it needs
 * one, make it, and show the result (picture, video and sound players, a sketch frame).
 */
export class MediaStep {
  readonly #lang: Lang
  #ctx: MediaContext | undefined
  #choice: OutputChoice | undefined
  #imageId: string | undefined
  #disposers: Array<() => void> = []
  #busy = false

  constructor (lang: Lang) {
    this.#lang = lang
    byId('make').addEventListener('click', () => { later(this.#make()) })
    byId('media-retry').addEventListener('click', () => { later(this.#make()) })
    const file = byId<HTMLInputElement>('image-file')
    file.addEventListener('change', () => { const f = file.files?.[0]; if (f !== undefined) later(this.#upload(f)) })
    const drop = byId('drop')
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over') })
    drop.addEventListener('dragleave', () => drop.classList.remove('over'))
    drop.addEventListener('drop', (e) => {
      e.preventDefault()
      drop.classList.remove('over')
      const f = e.dataTransfer?.files[0]
      if (f !== undefined) later(this.#upload(f))
    })
  }

  async open (ctx: MediaContext): Promise<void> {
    this.reset()
    this.#ctx = ctx
    show(byId('media'), true)
    const note = byId('media-note')
    note.textContent = t('mediaLoading', this.#lang)
    let choices: OutputChoice[] = []
    try { choices = await availableOutputs(ctx.config) } catch { choices = [] }
    if (this.#ctx !== ctx) return
    note.textContent = choices.length === 0 ? t('mediaNone', this.#lang) : ''
    const box = byId('media-choices')
    box.replaceChildren(...choices.map((c) => {
      const b = el('button', { type: 'button', class: 'choice', 'aria-pressed': 'false', 'data-output': c.id, 'data-kind': c.kind },
        el('span', { class: 'choice-name' }, t(`kind_${c.kind}`, this.#lang)), el('span', { class: 'choice-id' }, c.id))
      b.addEventListener('click', () => this.#pick(c, b))
      return b
    }))
    if (choices.length === 1) (box.firstElementChild as HTMLButtonElement).click()
  }

  /** Back to nothing chosen, no result; closes sketch frames. */
  reset (): void {
    this.#ctx = undefined
    this.#choice = undefined
    this.#imageId = undefined
    for (const d of this.#disposers.splice(0)) d()
    byId('media-choices').replaceChildren()
    byId('result').replaceChildren()
    byId('media-status-text').textContent = ''
    show(byId('media-spinner'), false)
    show(byId('media-error'), false)
    show(byId('drop'), false)
    show(byId('image-preview'), false)
    byId<HTMLInputElement>('image-file').value = ''
    byId<HTMLButtonElement>('make').disabled = true
    show(byId('media'), false)
  }

  #pick (c: OutputChoice, button: HTMLButtonElement): void {
    this.#choice = c
    for (const b of byId('media-choices').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button))
    show(byId('drop'), c.needsImage)
    byId<HTMLButtonElement>('make').disabled = this.#busy || (c.needsImage && this.#imageId === undefined)
  }

  async #upload (file: File): Promise<void> {
    const status = byId('media-status-text')
    show(byId('media-error'), false)
    status.textContent = t('uploading', this.#lang)
    const preview = byId<HTMLImageElement>('image-preview')
    // A data: URL, not a blob: one: the page's policy allows pictures from data: only.
    const reader = new FileReader()
    reader.addEventListener('load', () => { preview.src = String(reader.result); preview.alt = t('imageChosen', this.#lang); show(preview, true) })
    reader.readAsDataURL(file)
    const form = new FormData()
    form.append('file', file, file.name)
    const { status: code, body } = await json('/api/media/upload/image', { method: 'POST', body: form })
    if (code !== 200 || typeof body?.image_id !== 'string') {
      status.textContent = ''
      return this.#fail(String(body?.error ?? t('uploadFailed', this.#lang)))
    }
    this.#imageId = body.image_id
    status.textContent = ''
    byId<HTMLButtonElement>('make').disabled = this.#busy || this.#choice === undefined
  }

  async #make (): Promise<void> {
    const ctx = this.#ctx
    const c = this.#choice
    if (ctx === undefined || c === undefined || this.#busy) return
    if (c.needsImage && this.#imageId === undefined) return this.#fail(t('needImage', this.#lang))
    this.#busy = true
    const make = byId<HTMLButtonElement>('make')
    make.disabled = true
    show(byId('media-error'), false)
    for (const d of this.#disposers.splice(0)) d()
    byId('result').replaceChildren()
    const kind = t(`kind_${c.kind}`, this.#lang)
    byId('media-status-text').textContent = t('mediaWorking', this.#lang, { kind })
    show(byId('media-spinner'), true)
    try {
      const { status, body } = c.needsImage
        ? await json('/api/schema/pipeline/execute', { method: 'POST', body: JSON.stringify({ schema: ctx.config.id, input_text: ctx.idea, interception_result: ctx.finalText, output_config: c.id, input_image: this.#imageId, safety_level: ctx.safetyLevel, user_language: ctx.lang }) })
        : await json('/api/schema/pipeline/stage3-4', { method: 'POST', body: JSON.stringify({ stage2_result: ctx.finalText, output_config: c.id, run_id: ctx.runId, safety_level: ctx.safetyLevel, user_language: ctx.lang }) })
      if (this.#ctx !== ctx) return
      const outputs = (Array.isArray(body?.media_outputs) ? body.media_outputs : body?.media_output === undefined ? [] : [body.media_output]) as MediaOutput[]
      if (status === 403) return this.#refused(String(body?.error ?? ''))
      if (status !== 200 || outputs.length === 0) return this.#fail(String(body?.error ?? t('errorTitle', this.#lang)))
      for (const o of outputs) this.#render(o)
      byId('media-status-text').textContent = t('mediaDone', this.#lang, { kind })
    } catch {
      this.#fail(t('lost', this.#lang))
    } finally {
      this.#busy = false
      show(byId('media-spinner'), false)
      make.disabled = c.needsImage && this.#imageId === undefined
    }
  }

  #render (o: MediaOutput): void {
    const result = byId('result')
    if (o.status === 'blocked') return this.#refused(String(o.reason ?? ''))
    if (o.status !== 'success' || typeof o.output !== 'string') return this.#fail(String(o.error ?? t('errorTitle', this.#lang)))
    const type = o.media_type ?? 'image'
    if (type === 'code' || type === 'p5') {
      const { frame, dispose } = sketchFrame(o.output, t('sketchTitle', this.#lang), this.#lang)
      this.#disposers.push(dispose)
      result.append(
        el('figure', { class: 'media' }, frame, el('figcaption', {}, t('sketchNote', this.#lang))),
        el('details', { class: 'code' }, el('summary', {}, t('sketchCode', this.#lang)), el('pre', {}, el('code', {}, o.output)))
      )
    } else if (type === 'video') {
      result.append(el('figure', { class: 'media' }, el('video', { controls: '', src: o.output, preload: 'metadata', playsinline: '' })))
    } else if (type === 'audio' || type === 'music') {
      result.append(el('figure', { class: 'media' }, el('audio', { controls: '', src: o.output, preload: 'metadata' })))
    } else {
      result.append(el('figure', { class: 'media' }, el('img', { src: o.output, alt: t('resultAlt', this.#lang) })))
    }
  }

  #refused (reason: string): void {
    byId('result').append(el('div', { class: 'refusal' }, el('h3', {}, t('mediaBlocked', this.#lang)), el('p', {}, reason), el('p', { class: 'note' }, t('refusalHint', this.#lang))))
    byId('media-status-text').textContent = ''
  }

  #fail (message: string): void {
    byId('media-error-text').textContent = message
    byId('media-status-text').textContent = ''
    show(byId('media-error'), true)
  }
}
