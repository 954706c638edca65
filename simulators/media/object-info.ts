/**
 * A plausible subset of ComfyUI's GET /object_info for the simulator: the core node classes the
 * shipped and the workshop's workflows use, with model-file choices in the shape server.py's
 * node_info gives them (`input.required.ckpt_name = [[files...], {}]`). Custom nodes (the
 * workshop's ai4artsed_* ones) are absent, as on a stock ComfyUI; POST /prompt refuses what is
 * not listed here. A workflow of ours that needs another class or file: add it here.
 */
export const SIM_MODELS: Record<string, string[]> = {
  checkpoints: ['sd3.5_large.safetensors', 'OfficialStableDiffusion/sd3.5_large.safetensors', 'ace_step_v1_3.5b.safetensors', 'stable-audio-open-1.0.safetensors', 'stable_audio_open_1.0.safetensors', 'ltxv-13b-0.9.7-distilled-fp8.safetensors', 'Flux1/flux2_dev_fp8mixed.safetensors'],
  diffusion_models: ['qwen_image_fp8_e4m3fn.safetensors', 'qwen_image_edit_fp8_e4m3fn.safetensors', 'qwen_image_edit_2511_fp8mixed.safetensors', 'wan2.2_ti2v_5B_fp16.safetensors', 'wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors', 'wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors'],
  text_encoders: ['clip_g.safetensors', 'clip_l.safetensors', 't5xxl_fp16.safetensors', 't5xxl_enconly.safetensors', 't5-base.safetensors', 'qwen_2.5_vl_7b_fp8_scaled.safetensors', 'umt5_xxl_fp8_e4m3fn_scaled.safetensors', 'mistral_3_small_flux2_fp8.safetensors'],
  vae: ['qwen_image_vae.safetensors', 'wan2.2_vae.safetensors', 'wan_2.1_vae.safetensors', 'Flux/flux2-vae.safetensors'],
  loras: ['Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors', 'Qwen-Image-Edit-2511-Lightning-4steps-V1.0-bf16.safetensors', 'wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors', 'wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors']
}

/** Model loaders: which inputs choose a file from which folder. */
const LOADERS: Record<string, Record<string, keyof typeof SIM_MODELS>> = {
  CheckpointLoaderSimple: { ckpt_name: 'checkpoints' },
  UNETLoader: { unet_name: 'diffusion_models' },
  CLIPLoader: { clip_name: 'text_encoders' },
  DualCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders' },
  TripleCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders', clip_name3: 'text_encoders' },
  VAELoader: { vae_name: 'vae' },
  LoraLoaderModelOnly: { lora_name: 'loras' },
  LoraLoader: { lora_name: 'loras' }
}

/** Every other core class the workflows use (inputs left out: only presence is checked). */
const OTHER_NODES = [
  'CFGNorm', 'CLIPTextEncode', 'ConditioningZeroOut', 'CreateVideo', 'EmptyAceStepLatentAudio', 'EmptyLTXVLatentVideo',
  'EmptyLatentAudio', 'EmptyLatentImage', 'EmptySD3LatentImage', 'ImageScale', 'ImageScaleToTotalPixels', 'KSampler',
  'KSamplerAdvanced', 'KSamplerSelect', 'LTXVConditioning', 'LTXVImgToVideo', 'LTXVScheduler', 'LatentApplyOperationCFG',
  'LatentOperationTonemapReinhard', 'ModelSamplingAuraFlow', 'ModelSamplingSD3', 'PreviewAny', 'PreviewImage',
  'PrimitiveFloat', 'PrimitiveInt', 'PrimitiveString', 'PrimitiveStringMultiline', 'SamplerCustom', 'SaveAnimatedWEBP',
  'SaveAudio', 'SaveAudioMP3', 'SaveImage', 'SaveVideo', 'SaveWEBM', 'StringConcatenate', 'TextEncodeAceStepAudio',
  'TextEncodeQwenImageEdit', 'TextEncodeQwenImageEditPlus', 'VAEDecode', 'VAEDecodeAudio', 'VAEEncode',
  'Wan22ImageToVideoLatent', 'WanImageToVideo',
  // Not core: VideoHelperSuite's video saver, and a WAV saver only this simulator has.
  'VHS_VideoCombine', 'SaveAudioWAV'
]

const OUTPUT_NODES = new Set(['VHS_VideoCombine', 'SaveAudioWAV', 'PreviewAny', 'PreviewImage', 'SaveAnimatedWEBP', 'SaveAudio', 'SaveAudioMP3', 'SaveImage', 'SaveVideo', 'SaveWEBM'])

export interface ObjectInfoOptions {
  /** Files to leave out of every list (a model not downloaded). */
  missingModels: string[]
  /** Node classes to leave out (a custom node not installed). */
  missingNodes: string[]
  /** Names in ComfyUI's input folder (LoadImage's choices). */
  inputFiles: string[]
}

export function simObjectInfo (opts: ObjectInfoOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const entry = (name: string, required: Record<string, unknown>): Record<string, unknown> => ({
    input: { required },
    input_order: { required: Object.keys(required) },
    output: [],
    output_is_list: [],
    output_name: [],
    name,
    display_name: name,
    description: '',
    python_module: 'nodes',
    category: 'simulated',
    output_node: OUTPUT_NODES.has(name)
  })
  for (const [name, inputs] of Object.entries(LOADERS)) {
    const required: Record<string, unknown> = {}
    for (const [input, folder] of Object.entries(inputs)) required[input] = [(SIM_MODELS[folder] ?? []).filter((f) => !opts.missingModels.includes(f)), {}]
    out[name] = entry(name, required)
  }
  out.LoadImage = entry('LoadImage', { image: [[...opts.inputFiles].sort(), { image_upload: true }] })
  for (const name of OTHER_NODES) out[name] = entry(name, {})
  for (const name of opts.missingNodes) Reflect.deleteProperty(out, name)
  return out
}
