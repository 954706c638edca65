import { openSse, startServer } from './helper.js'
const s = await startServer({}, { firstTokenDelayMs: 10, tokenDelayMs: 2 })
const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' })
setTimeout(() => { console.log(c.events.length); process.exit(0) }, 2000)
await c.done
console.log('done', c.events.length)
await s.close()
