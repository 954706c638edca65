import Fastify from 'fastify'
import closeWithGrace from 'close-with-grace'
import app from './app.js'
import { loadConfig } from './plugins/config.js'
import { serverOptions } from './plugins/http.js'
import { logOptions } from './log-options.js'

/**
 * The only place that builds the Fastify instance, reads listen and logger settings and
 * closes with grace. With OLLAMA_URL=simulated it starts the in-repo Ollama simulator and
 * says so loudly: nothing a simulated run shows comes from a real model.
 */
async function main (): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env }
  const config = loadConfig(env)

  const fastify = Fastify({
    // Timeouts for slow request heads and bodies, and a head size that fits INPUT_MAX_CHARS.
    ...serverOptions(config),
    logger: logOptions(config.LOG_LEVEL),
    // A Cloudflare tunnel keeps idle connections for 90 s; outlive it so it never hits a closed one.
    keepAliveTimeout: 95_000,
    forceCloseConnections: 'idle'
  })

  const stops: Array<() => Promise<void>> = []
  if (config.OLLAMA_URL === 'simulated') {
    const { OllamaSimulator } = await import('./simulators/ollama-simulator.js')
    const simulator = new OllamaSimulator({
      models: [...new Set([config.STAGE1_MODEL, config.STAGE2_INTERCEPTION_MODEL, config.STAGE3_MODEL])],
      firstTokenDelayMs: 400,
      tokenDelayMs: 60
    })
    env.OLLAMA_URL = await simulator.listen(0, '127.0.0.1')
    stops.push(async () => await simulator.close())
    fastify.log.warn({ simulator: env.OLLAMA_URL }, 'SIMULATED OLLAMA: OLLAMA_URL=simulated, so every model answer comes from the built-in simulator, not from a real model')
  }
  if (config.COMFYUI_URL === 'simulated') {
    const { ComfyUiSimulator } = await import('./simulators/comfyui-simulator.js')
    const comfy = new ComfyUiSimulator({ renderMs: 1500, pictureSize: 256 })
    env.COMFYUI_URL = await comfy.listen(0)
    stops.push(async () => await comfy.close())
    fastify.log.warn({ simulator: env.COMFYUI_URL }, 'SIMULATED COMFYUI: COMFYUI_URL=simulated, so every image, video and sound is a placeholder from the built-in simulator')
  }

  await fastify.register(app, { env })

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS + 2000 }, async ({ signal, err }) => {
    if (err !== undefined) fastify.log.error({ err }, 'server closing after an error')
    else fastify.log.info({ signal }, 'server closing')
    await fastify.close()
    for (const stop of stops) await stop()
  })

  // A whole year group pressing start in the same second: a deep accept queue (Linux caps it at
  // net.core.somaxconn) keeps their connections from waiting for SYN retries.
  const url = await fastify.listen({ port: config.PORT, host: config.HOST, backlog: 4096 })
  fastify.log.info(`open ${url}/ in a browser for the student page; the teacher's room view is ${url}/room`)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
