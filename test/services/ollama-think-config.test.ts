import t from 'tap'
import { Catalog, type CatalogConfig } from '../../services/catalog/catalog.js'
import type { Chunk, Pipeline } from '../../services/catalog/schemas.js'
import { ollamaOptions } from '../../services/stages/models.js'

const chunk = (parameters: Record<string, unknown>) => ({ name: 'c', parameters } as unknown as Chunk)
const config = (parameters: Record<string, unknown>) => ({ id: 'x', file: 'configs/interception/x.json', pipeline: 'p', parameters } as unknown as CatalogConfig)
const catalog = new Catalog('/nowhere', new Map(), new Map<string, Pipeline>(), new Map())

t.test('a chunk or config that asks for thinking passes `think` on; otherwise none is set', async (t) => {
  t.same(ollamaOptions(catalog, undefined, chunk({ think: true, max_tokens: 50 })), { options: { num_predict: 50 }, think: true })
  t.same(ollamaOptions(catalog, config({ think: false }), chunk({ think: true })), { options: {}, think: false }, 'the config wins')
  t.same(ollamaOptions(catalog, undefined, chunk({ think: 'high' })), { options: {}, think: 'high' })
  t.same(ollamaOptions(catalog, undefined, chunk({ temperature: 0.2 })), { options: { temperature: 0.2 } }, 'unset: the client sends false')
  t.same(ollamaOptions(catalog, undefined, chunk({ think: 'yes' })), { options: {} }, 'a value Ollama would refuse is not sent')
})
