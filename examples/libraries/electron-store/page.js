'use strict'
// The window's page: electron-store in a renderer, as its README shows
// (`Store.initRenderer()` in main, `new Store()` here). Constructing it
// asks main for its data with `ipcRenderer.sendSync` (a worker's sendSync
// blocks this thread until main answers). electron-store is ESM only.

const { serve } = require('../harness')

let store = null
async function open() {
  if (store === null) {
    const { default: Store } = await import('electron-store')
    store = new Store()
  }
  return store
}

serve({
  path: async () => (await open()).path,
  get: async (key) => (await open()).get(key),
  set: async (key, value) => {
    ;(await open()).set(key, value)
  },
})
